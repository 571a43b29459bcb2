/**
 * Ids for Moleculer's contexts and requests. They must be flat strings: Moleculer's own ids (and
 * crypto.randomUUID) are built by concatenating pieces, which V8 keeps as a tree of string objects
 * (~0.5 KB) for as long as the context lives, and a quote's context lives for its whole quote. A
 * buffer's hex is one flat string. The random bytes are drawn a batch at a time: one getrandom
 * syscall per id was 4 % of an embedded node's CPU.
 */
import crypto from 'node:crypto';

const ID_BYTES = 16;

export function pooledRandomIds(batch = 1024): () => string {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError('a batch holds at least one id');
  let pool = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset >= pool.length) {
      pool = crypto.randomBytes(ID_BYTES * batch);
      offset = 0;
    }
    const id = pool.toString('hex', offset, offset + ID_BYTES);
    offset += ID_BYTES;
    return id;
  };
}
