/** A production node without a usable DATA_KEY, or without webhook secrets, does not start: it says why and exits non-zero. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../lib/project-root';

function start(env: Record<string, string>) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-refusal-'));
  const result = spawnSync(process.execPath, [path.join(projectRoot(), 'dist/bin/start.js')], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', SANDBOX_PORT: '0', PARTNER_KEYS: 'bank:k1', PARTNER_WEBHOOK_SECRETS: 'bank:a-secret-of-sixteen+', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { ...result, dataDir };
}

test('NODE_ENV=production without DATA_KEY: refused, no key generated', () => {
  const result = start({ NODE_ENV: 'production' });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('configuration error: DATA_KEY is required with NODE_ENV=production');
  expect(fs.readdirSync(result.dataDir)).toEqual([]);
});

test.each([
  ['production', { NODE_ENV: 'production', DATA_KEY: 'c2hvcnQ=' }, 'DATA_KEY must be 32 bytes in base64'],
  ['development', { DATA_KEY: 'not base64 at all!' }, 'DATA_KEY must be 32 bytes in base64'],
  ['development, an old key', { DATA_KEY: Buffer.alloc(32, 1).toString('base64'), DATA_KEYS_OLD: 'abc' }, 'DATA_KEYS_OLD entry 1 must be 32 bytes'],
])('a malformed key (%s): refused with a clear message', (_case, env, message) => {
  const result = start(env);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(message);
});

test('NODE_ENV=production without PARTNER_WEBHOOK_SECRETS: refused, since any partner may ask for webhooks', () => {
  const result = start({ NODE_ENV: 'production', DATA_KEY: Buffer.alloc(32, 7).toString('base64'), PARTNER_WEBHOOK_SECRETS: '' });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('configuration error: PARTNER_WEBHOOK_SECRETS is required with NODE_ENV=production');
});

test('a webhook secret too short to sign with: refused, the secret itself not printed', () => {
  const result = start({ PARTNER_WEBHOOK_SECRETS: 'bank:short-one' });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('PARTNER_WEBHOOK_SECRETS entries are partner:secret with a secret of 16 characters or more');
  expect(result.stderr).not.toContain('short-one');
});
