/**
 * `npm run lint:openapi`: writes the OpenAPI document the gateway serves to a temporary file and
 * runs `redocly lint` on it (redocly.yaml). The document is built by code, so the file linted is
 * exactly what /api/openapi.json answers.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INSURERS } from '../lib/insurers/catalog';
import { projectRoot } from '../lib/project-root';
import { openApiDocument } from '../services/gateway/openapi';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-openapi-'));
const file = path.join(dir, 'openapi.json');
try {
  fs.writeFileSync(file, JSON.stringify(openApiDocument(INSURERS.map((i) => i.code)), null, 2));
  const root = projectRoot();
  // a lint run sends nothing anywhere: no usage telemetry, no update check (CI has no internet)
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  execFileSync(path.join(root, 'node_modules', '.bin', 'redocly'), ['lint', '--config', path.join(root, 'redocly.yaml'), file], { stdio: 'inherit', env });
} catch {
  process.exitCode = 1; // redocly printed the problems
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
