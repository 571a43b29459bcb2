/**
 * The keyring a node uses: DATA_KEY (and DATA_KEYS_OLD) when configured; otherwise, on embedded
 * defaults only (lib/config.ts refuses a missing key with NODE_ENV=production), a key generated once
 * into DATA_DIR and reused on every later start, so that a restart still opens what it stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import { generateDataKey, Keyring, parseDataKey, type DataKey } from './keyring';

export const GENERATED_KEY_FILE = 'data-key';

export interface DataKeySettings {
  /** DATA_KEY; undefined: generate one into `dataDir`. */
  current?: DataKey;
  /** DATA_KEYS_OLD. */
  old: DataKey[];
}

const keyrings = new Map<string, Keyring>();

/** The generated key of `dataDir`, created (0600) by the first of any processes that race for it. */
function generatedKey(dataDir: string, warn: (message: string) => void): DataKey {
  const file = path.join(dataDir, GENERATED_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    const key = generateDataKey();
    fs.writeFileSync(file, `${key.secret.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    warn(`DATA_KEY is not set: generated a key for personal data into ${file}; set DATA_KEY (32 bytes, base64) for a real deployment, and keep that file as long as the data`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseDataKey(fs.readFileSync(file, 'utf8'), file);
  }
}

/** One keyring per key setting and directory in a process: every service of a node shares it. */
export function keyringFor(settings: DataKeySettings, dataDir: string, warn: (message: string) => void = (m) => process.emitWarning(m, 'DataKeyWarning')): Keyring {
  const cacheKey = `${settings.current?.id ?? `file:${path.resolve(dataDir)}`}|${settings.old.map((k) => k.id).join(',')}`;
  let keyring = keyrings.get(cacheKey);
  if (!keyring) {
    keyring = new Keyring(settings.current ?? generatedKey(dataDir, warn), settings.old);
    keyrings.set(cacheKey, keyring);
  }
  return keyring;
}
