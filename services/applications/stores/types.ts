/**
 * The applications' storage, whatever the engine: the stored shapes and the conditional updates that
 * keep an application's lifecycle exactly-once when several `applications` nodes share one store.
 * Every method answers "not found" (undefined, false, empty) for an unknown or malformed id: bad input
 * from a client never becomes a storage error.
 */
import type { AnonymisedApplication } from '../../../lib/personal-data/split';
import type { InsurerRef, Quote } from '../../../lib/quotes/types';

/**
 * `A`: what the application is known to hold. An engine holds it with the personal part sealed
 * (`application.personal.sealed`) or erased (`.erasedAt`), or, when written before sealing, in the
 * clear; the store the service uses (sealed.ts) answers it whole, or anonymised once erased. Only a
 * new application (`ApplicationDoc<Application>`) is known to be whole.
 */
export interface ApplicationDoc<A extends AnonymisedApplication = AnonymisedApplication> {
  id: string;
  token: string;
  partner: string | null; // null: a web customer over Socket.IO
  status: 'quoting' | 'completed';
  createdAt: string;
  createdAtMs: number;
  deadline: string;
  deadlineMs: number;
  completedAt?: string;
  application: A;
  insurers: InsurerRef[];
  quotes: Record<string, Quote>; // by insurer code
}

/** The first answer given for an Idempotency-Key (CONTRACT §2). */
export interface IdempotencyRecord {
  id: string; // a hash of partner and key
  requestHash: string;
  response: unknown;
  createdAtMs: number;
}

export interface Expired {
  /** The quotes this call turned from pending into `timeout`, numbered (`seq`) in this order. */
  timedOut: Quote[];
  /** The application as completed, when this call completed it. */
  completed?: ApplicationDoc;
}

export interface Due {
  id: string;
  deadlineMs: number;
}

export interface PartnerPage {
  items: ApplicationDoc[]; // newest first
  total: number;
}

export interface IdempotencyStore {
  find(id: string): Promise<IdempotencyRecord | undefined>;
  /** Stores `record` unless its id is taken; then answers the record that holds it (a concurrent request won). */
  insertIfAbsent(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
  remove(id: string): Promise<void>;
}

export interface ApplicationStore {
  /** Opens the connection and prepares the schema (PostgreSQL: migrations) or indexes. */
  connect(): Promise<void>;
  close(): Promise<void>;

  /** False when an application with this id already exists. */
  insert(doc: ApplicationDoc): Promise<boolean>;
  remove(id: string): Promise<void>;
  find(id: string): Promise<ApplicationDoc | undefined>;

  /**
   * Records an insurer's final answer only while the application is quoting and that insurer's quote
   * is still pending: true when this call made the transition, so a redelivered or late answer changes
   * nothing and no answer lands after completion. Answers the quote as stored, numbered (`seq`) after
   * the application's earlier final states, or undefined when this call changed nothing.
   */
  settleQuote(quote: Quote): Promise<Quote | undefined>;

  /** Flips quoting → completed when no quote is pending; answers the application only if this call flipped it. */
  completeIfSettled(id: string, completedAt: string): Promise<ApplicationDoc | undefined>;

  /** The deadline passed: every quote still pending becomes `timeout`, and the application completes. */
  expire(id: string, at: string): Promise<Expired>;

  /** `expire` for many applications due together, answered in the order of `ids`; cheaper than one by one. */
  expireAll(ids: readonly string[], at: string): Promise<Expired[]>;

  /** Applications still quoting whose deadline is at or before `untilMs`, earliest first. */
  due(untilMs: number, limit: number): Promise<Due[]>;

  /** Applications still quoting whose deadline is after `nowMs`. */
  open(nowMs: number): Promise<ApplicationDoc[]>;

  listByPartner(partner: string, offset: number, limit: number): Promise<PartnerPage>;

  /**
   * Retention: erases the sealed personal part of up to `limit` applications completed at or before
   * `completedBefore` (ISO instants compare as text), marking each erased at `at`; answers how many
   * this call erased. Conditional, so that runs on several nodes at once erase each application once.
   */
  erasePersonal(completedBefore: string, at: string, limit: number): Promise<number>;

  readonly idempotency: IdempotencyStore;
}

export const TIMEOUT_REASON = 'страховая не ответила до истечения срока';

export function timedOutQuote(pending: Quote, at: string, seq: number): Quote {
  return { ...pending, status: 'timeout', reason: TIMEOUT_REASON, at, seq };
}

/** The sequence number of an application's `completed`: after every quote's final state. */
export function completedSeq(doc: Pick<ApplicationDoc, 'insurers'>): number {
  return doc.insurers.length + 1;
}

/** Ids are UUIDs or hashes; anything else (empty, huge, with a NUL that PostgreSQL's text refuses) is simply not found. */
export function isPlausibleId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 100 && !id.includes('\u0000');
}
