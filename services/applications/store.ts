/** The stored shape of an application and the conditional updates that keep its lifecycle exactly-once. */
import type { DbAdapter } from 'moleculer-db';
import type { Application } from '../../lib/application/types';
import type { InsurerRef, Quote } from '../../lib/quotes/types';

export interface ApplicationDoc {
  _id: string;
  token: string;
  partner: string | null; // null: a web customer over Socket.IO
  status: 'quoting' | 'completed';
  createdAt: string;
  createdAtMs: number;
  deadline: string;
  deadlineMs: number;
  completedAt?: string;
  application: Application;
  insurers: InsurerRef[];
  quotes: Record<string, Quote>;
  pending: number; // quotes still pending: kept with each transition, so completion needs no read
}

export interface IdempotencyDoc {
  _id: string; // hash of partner and key
  requestHash: string;
  response: unknown;
  createdAtMs: number;
}

/**
 * Records an insurer's final answer only while its quote is still pending, so a redelivered or
 * late message changes nothing: the count says whether this call made the transition.
 */
export async function settleQuote(adapter: DbAdapter, quote: Quote): Promise<boolean> {
  const code = quote.insurer.code;
  const changed = await adapter.updateMany(
    { _id: quote.applicationId, status: 'quoting', [`quotes.${code}.status`]: 'pending' } as never,
    { $set: { [`quotes.${code}`]: quote }, $inc: { pending: -1 } },
  );
  return changed === 1;
}

/**
 * Flips quoting → completed once, whichever node or timer gets there first. `whenSettled` flips
 * only when no quote is pending any more; the deadline completes whatever is left.
 */
export async function markCompleted(adapter: DbAdapter, id: string, completedAt: string, whenSettled = false): Promise<boolean> {
  const query = whenSettled ? { _id: id, status: 'quoting', pending: 0 } : { _id: id, status: 'quoting' };
  const changed = await adapter.updateMany(query as never, { $set: { status: 'completed', completedAt } });
  return changed === 1;
}

export async function findApplication(adapter: DbAdapter, id: string): Promise<ApplicationDoc | undefined> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) return undefined;
  const doc = (await adapter.findOne({ _id: id } as never)) as ApplicationDoc | null;
  return doc ?? undefined;
}

export function isDuplicateKeyError(err: unknown): boolean {
  const e = err as { errorType?: string; code?: number | string; message?: string };
  return e?.errorType === 'uniqueViolated' || e?.code === 11000 || /unique|duplicate/i.test(e?.message ?? '');
}
