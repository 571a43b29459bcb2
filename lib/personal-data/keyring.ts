/**
 * The keys that seal personal data (152-FZ): the current one seals, every listed one opens. A key's
 * id is derived from the key itself (the first bytes of its SHA-256), so every node that holds the
 * same key names it the same way without a second setting to keep in step, and a sealed record
 * names the key it needs without revealing anything about it.
 */
import crypto from 'node:crypto';

export const KEY_BYTES = 32; // AES-256

export interface DataKey {
  readonly id: string;
  readonly secret: Buffer;
}

export class Keyring {
  private readonly byId: ReadonlyMap<string, DataKey>;

  /** `current` seals; `current` and `old` open (old: keys rotated out whose records may still exist). */
  constructor(
    readonly current: DataKey,
    old: readonly DataKey[] = [],
  ) {
    this.byId = new Map([...old, current].map((key) => [key.id, key]));
  }

  find(id: string): DataKey | undefined {
    return this.byId.get(id);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }
}

export class MalformedKeyError extends Error {
  readonly type = 'PERSONAL_DATA_MALFORMED_KEY';
  constructor(what: string, reason: string) {
    super(`${what} must be ${KEY_BYTES} bytes in base64 (e.g. \`openssl rand -base64 32\`): ${reason}`);
    this.name = 'MalformedKeyError';
  }
}

export function keyId(secret: Buffer): string {
  return crypto.createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

/** A key as configured: standard or URL-safe base64 of exactly 32 bytes, nothing else. */
export function parseDataKey(raw: string, what = 'DATA_KEY'): DataKey {
  const text = raw.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw new MalformedKeyError(what, 'not base64');
  const secret = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (secret.length !== KEY_BYTES) throw new MalformedKeyError(what, `it decodes to ${secret.length} bytes`);
  return { id: keyId(secret), secret };
}

/** `DATA_KEYS_OLD`: a comma list of keys rotated out, still needed to open what they sealed. */
export function parseOldKeys(raw: string | undefined): DataKey[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((text, n) => parseDataKey(text, `DATA_KEYS_OLD entry ${n + 1}`));
}

export function generateDataKey(): DataKey {
  const secret = crypto.randomBytes(KEY_BYTES);
  return { id: keyId(secret), secret };
}
