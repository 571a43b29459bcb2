/**
 * Idempotency-Key records (CONTRACT §2): the same partner, key and body within the TTL get the first
 * answer again; another body gets 409. The record's id is a hash of partner and key, so the store's
 * insert-if-absent settles a race between two requests with one key, on any node.
 */
import crypto from 'node:crypto';
import { ConflictError } from '../../lib/errors';
import { stableStringify } from '../../lib/stable-json';
import type { IdempotencyRecord, IdempotencyStore } from './stores';

const hash = (text: string) => crypto.createHash('sha256').update(text).digest('base64url');

export interface IdempotentRequest {
  recordId: string;
  requestHash: string;
}

export class IdempotencyRecords {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly ttlMs: number,
  ) {}

  request(partner: string | null, key: string, body: unknown): IdempotentRequest {
    return { recordId: hash(`${partner}\n${key}`), requestHash: hash(stableStringify(body)) };
  }

  /** The first answer for this key, if one is on record and fresh; throws 409 for another body. */
  async recall(request: IdempotentRequest, now: number): Promise<unknown | undefined> {
    const known = await this.store.find(request.recordId);
    if (!known) return undefined;
    if (known.createdAtMs <= now - this.ttlMs) {
      await this.store.remove(request.recordId);
      return undefined;
    }
    return this.answerFor(known, request);
  }

  /**
   * Records `response` as the key's first answer. Returns undefined when it is ours, or the answer
   * of a concurrent request that recorded first (then ours must be dropped).
   */
  async remember(request: IdempotentRequest, response: unknown, now: number): Promise<unknown | undefined> {
    const winner = await this.store.insertIfAbsent({ id: request.recordId, requestHash: request.requestHash, response, createdAtMs: now });
    return winner && this.answerFor(winner, request);
  }

  /** Drops our record again: the application it answers for was not taken after all. */
  async forget(request: IdempotentRequest): Promise<void> {
    await this.store.remove(request.recordId);
  }

  private answerFor(record: IdempotencyRecord, request: IdempotentRequest): unknown {
    if (record.requestHash !== request.requestHash) throw new ConflictError('This Idempotency-Key was used with a different body');
    return record.response;
  }
}
