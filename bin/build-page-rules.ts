/**
 * Part of `npm run build`: bundles lib/application/page-rules.ts (the server's application rules
 * and what they need) into one classic script, public/build/rules.js, that sets
 * `window.OsagoRules`. The page loads it before form.js; nothing of the rules is written twice.
 */
import path from 'node:path';
import { buildSync } from 'esbuild';
import { projectRoot } from '../lib/project-root';

const root = projectRoot();
const outfile = path.join(root, 'public', 'build', 'rules.js');

buildSync({
  entryPoints: [path.join(root, 'lib', 'application', 'page-rules.ts')],
  outfile,
  bundle: true,
  format: 'iife',
  globalName: 'OsagoRules',
  platform: 'browser',
  target: ['es2020'],
  charset: 'utf8', // the rules' messages stay readable Russian, not \u escapes
  legalComments: 'none',
  banner: { js: '/* Built by bin/build-page-rules.ts from lib/application: do not edit. */' },
  logLevel: 'warning',
});
console.log(`page rules: ${path.relative(root, outfile)}`);
