/**
 * AES-256-GCM over a JSON value. A sealed blob is one ASCII string, so every engine stores it as it
 * stores any other string: `pd1.<key id>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id and
 * the owning record's id are authenticated (AAD): a blob copied into another record, or relabelled
 * with another key id, does not open.
 */
import crypto from 'node:crypto';
import type { Keyring } from './keyring';

const VERSION = 'pd1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealOpenError extends Error {
  constructor(
    readonly type: 'PERSONAL_DATA_UNKNOWN_KEY' | 'PERSONAL_DATA_TAMPERED' | 'PERSONAL_DATA_MALFORMED',
    message: string,
  ) {
    super(message);
    this.name = 'SealOpenError';
  }
}

function additionalData(keyId: string, recordId: string): Buffer {
  return Buffer.from(`${VERSION}\u0000${keyId}\u0000${recordId}`, 'utf8');
}

export function seal(keyring: Keyring, recordId: string, value: unknown): string {
  const { id, secret } = keyring.current;
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(id, recordId));
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

/** The key id a blob names (to tell which records still need an old key), or undefined if it is no blob. */
export function sealedKeyId(blob: string): string | undefined {
  const parts = blob.split('.');
  return parts.length === 5 && parts[0] === VERSION ? parts[1] : undefined;
}

export function open(keyring: Keyring, recordId: string, blob: string): unknown {
  const parts = typeof blob === 'string' ? blob.split('.') : [];
  if (parts.length !== 5 || parts[0] !== VERSION) throw new SealOpenError('PERSONAL_DATA_MALFORMED', `record ${recordId}: not a sealed blob`);
  const [, id, iv, tag, data] = parts;
  const key = keyring.find(id);
  if (!key) throw new SealOpenError('PERSONAL_DATA_UNKNOWN_KEY', `record ${recordId} was sealed with key ${id}, which is not configured (DATA_KEY, DATA_KEYS_OLD)`);
  const authTag = Buffer.from(tag, 'base64url');
  const nonce = Buffer.from(iv, 'base64url');
  if (authTag.length !== TAG_BYTES || nonce.length !== IV_BYTES) throw new SealOpenError('PERSONAL_DATA_MALFORMED', `record ${recordId}: a sealed blob with a bad iv or tag`);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key.secret, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(id, recordId));
    decipher.setAuthTag(authTag);
    const text = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    return JSON.parse(text);
  } catch {
    throw new SealOpenError('PERSONAL_DATA_TAMPERED', `record ${recordId}: the sealed personal data does not authenticate (changed, or moved from another record)`);
  }
}
