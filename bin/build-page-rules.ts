/**
 * Part of `npm run build`: bundles lib/application/page-rules.ts (the server's application rules
 * and what they need) into one classic script, public/build/rules.js, that sets
 * `window.OsagoRules`. The page loads it before form.js; nothing of the rules is written twice.
 */
import path from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import { projectRoot } from '../lib/project-root';

export const PAGE_RULES_FILE = path.join(projectRoot(), 'public', 'build', 'rules.js');

const OPTIONS: BuildOptions = {
  entryPoints: [path.join(projectRoot(), 'lib', 'application', 'page-rules.ts')],
  outfile: PAGE_RULES_FILE,
  bundle: true,
  format: 'iife',
  globalName: 'OsagoRules',
  platform: 'browser',
  target: ['es2020'],
  charset: 'utf8', // the rules' messages stay readable Russian, not \u escapes
  legalComments: 'none',
  banner: { js: '/* Built by bin/build-page-rules.ts from lib/application: do not edit. */' },
  logLevel: 'warning',
};

/** The script's text, built in memory (for tests: the same options as the file the page gets). */
export function pageRulesScript(): string {
  const result = buildSync({ ...OPTIONS, write: false });
  return result.outputFiles[0].text;
}

export function writePageRules(): void {
  buildSync(OPTIONS);
}

if (require.main === module) {
  writePageRules();
  console.log(`page rules: ${path.relative(projectRoot(), PAGE_RULES_FILE)}`);
}
