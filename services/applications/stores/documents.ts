/**
 * The store over moleculer-db adapters, for the two document engines: the embedded NeDB files and
 * MongoDB speak the same query language through the same DbAdapter calls, so one set of queries
 * serves both and the MongoDB path runs the code that the embedded tests exercise.
 *
 * Exactly-once rests on single-document atomic updates: each transition is an `updateMany` whose
 * filter states the precondition (still quoting, this quote still pending) and whose count says
 * whether this call made it. A `pending` counter kept with every quote transition lets completion
 * check "nothing pending" in the same atomic filter.
 */
import type { CursorOptions, DbAdapter } from 'moleculer-db';
import type { Quote } from '../../../lib/quotes/types';
import {
  isPlausibleId,
  timedOutQuote,
  type ApplicationDoc,
  type ApplicationStore,
  type Expired,
  type IdempotencyRecord,
  type IdempotencyStore,
  type PartnerPage,
  type Due,
} from './types';

/** An application as a document: `_id`, and the number of quotes still pending. */
interface StoredApplication extends Omit<ApplicationDoc, 'id'> {
  _id: string;
  pending: number;
}

interface StoredIdempotency extends Omit<IdempotencyRecord, 'id'> {
  _id: string;
}

/** What each document engine provides: its two collections, opened and closed its own way. */
export interface DocumentCollections {
  readonly applications: DbAdapter;
  readonly idempotency: DbAdapter;
  open(): Promise<void>;
  close(): Promise<void>;
  isDuplicateKey(err: unknown): boolean;
}

function toStored({ id, ...rest }: ApplicationDoc): StoredApplication {
  const pending = Object.values(rest.quotes).filter((q) => q.status === 'pending').length;
  return { _id: id, ...rest, pending };
}

function fromStored(stored: StoredApplication): ApplicationDoc {
  const { _id, pending: _pending, ...rest } = stored;
  return { id: _id, ...rest };
}

// DbAdapter answers plain objects; these name what this store put there
const asApplication = (found: object | null): StoredApplication | undefined => (found ? (found as StoredApplication) : undefined);
const asApplications = (found: object[]): StoredApplication[] => found as StoredApplication[];
const asIdempotency = (found: object | null): StoredIdempotency | undefined => (found ? (found as StoredIdempotency) : undefined);

/** An insurer code becomes part of a field path (`quotes.<code>.status`): no dots, no `$`. */
const FIELD_SAFE_CODE = /^[\w-]{1,64}$/;

export class DocumentStore implements ApplicationStore {
  readonly idempotency: IdempotencyStore;

  constructor(private readonly collections: DocumentCollections) {
    this.idempotency = new DocumentIdempotency(collections);
  }

  connect(): Promise<void> {
    return this.collections.open();
  }

  close(): Promise<void> {
    return this.collections.close();
  }

  async insert(doc: ApplicationDoc): Promise<boolean> {
    try {
      await this.collections.applications.insert(toStored(doc));
      return true;
    } catch (err) {
      if (this.collections.isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async remove(id: string): Promise<void> {
    if (isPlausibleId(id)) await this.collections.applications.removeMany({ _id: id });
  }

  async find(id: string): Promise<ApplicationDoc | undefined> {
    const stored = await this.findStored(id);
    return stored && fromStored(stored);
  }

  async settleQuote(quote: Quote): Promise<boolean> {
    const code = quote.insurer.code;
    if (!isPlausibleId(quote.applicationId) || !FIELD_SAFE_CODE.test(code) || quote.status === 'pending') return false;
    const changed = await this.collections.applications.updateMany(
      { _id: quote.applicationId, status: 'quoting', [`quotes.${code}.status`]: 'pending' },
      { $set: { [`quotes.${code}`]: quote }, $inc: { pending: -1 } },
    );
    return changed === 1;
  }

  async completeIfSettled(id: string, completedAt: string): Promise<ApplicationDoc | undefined> {
    if (!isPlausibleId(id)) return undefined;
    return this.flipToCompleted(id, completedAt, { pending: 0 });
  }

  /**
   * One read and one update per application, however many quotes are still pending: the filter pins
   * the pending count that was read, and since only a settle changes it (downwards), an unchanged
   * count means the same quotes are still pending. An answer landing in between is simply read again.
   */
  async expire(id: string, at: string): Promise<Expired> {
    for (;;) {
      const stored = await this.findStored(id);
      if (!stored || stored.status !== 'quoting') return { timedOut: [] };
      const timedOut = Object.values(stored.quotes).filter((q) => q.status === 'pending').map((q) => timedOutQuote(q, at));
      const set: Record<string, unknown> = { status: 'completed', completedAt: at, pending: 0 };
      for (const quote of timedOut) set[`quotes.${quote.insurer.code}`] = quote;
      const changed = await this.collections.applications.updateMany({ _id: id, status: 'quoting', pending: stored.pending }, { $set: set });
      if (changed !== 1) continue;
      const quotes = { ...stored.quotes };
      for (const quote of timedOut) quotes[quote.insurer.code] = quote;
      return { timedOut, completed: fromStored({ ...stored, quotes, status: 'completed', completedAt: at, pending: 0 }) };
    }
  }

  async due(untilMs: number, limit: number): Promise<Due[]> {
    const due: CursorOptions = { query: { status: 'quoting', deadlineMs: { $lte: untilMs } }, sort: ['deadlineMs'], limit };
    return asApplications(await this.collections.applications.find(due)).map((doc) => ({ id: doc._id, deadlineMs: doc.deadlineMs }));
  }

  async open(nowMs: number): Promise<ApplicationDoc[]> {
    const open: CursorOptions = { query: { status: 'quoting', deadlineMs: { $gt: nowMs } } };
    return asApplications(await this.collections.applications.find(open)).map(fromStored);
  }

  async listByPartner(partner: string, offset: number, limit: number): Promise<PartnerPage> {
    const query = { partner };
    const page: CursorOptions = { query, sort: ['-createdAtMs', '-_id'], offset, limit };
    const [found, total] = await Promise.all([this.collections.applications.find(page), this.collections.applications.count({ query })]);
    return { items: asApplications(found).map(fromStored), total };
  }

  private async findStored(id: string): Promise<StoredApplication | undefined> {
    if (!isPlausibleId(id)) return undefined;
    return asApplication(await this.collections.applications.findOne({ _id: id }));
  }

  /** Once the flip is ours the application can no longer change, so reading it afterwards gives its final state. */
  private async flipToCompleted(id: string, completedAt: string, condition: { pending?: 0 } = {}): Promise<ApplicationDoc | undefined> {
    const changed = await this.collections.applications.updateMany({ _id: id, status: 'quoting', ...condition }, { $set: { status: 'completed', completedAt } });
    if (changed !== 1) return undefined;
    return this.find(id);
  }
}

class DocumentIdempotency implements IdempotencyStore {
  constructor(private readonly collections: DocumentCollections) {}

  async find(id: string): Promise<IdempotencyRecord | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const found = asIdempotency(await this.collections.idempotency.findOne({ _id: id }));
    if (!found) return undefined;
    const { _id, ...rest } = found;
    return { id: _id, ...rest };
  }

  async insertIfAbsent(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const { id, ...rest } = record;
    // the holder can expire and be removed between our failed insert and our read: then try again
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.collections.idempotency.insert({ _id: id, ...rest } satisfies StoredIdempotency);
        return undefined;
      } catch (err) {
        if (!this.collections.isDuplicateKey(err)) throw err;
      }
      const holder = await this.find(id);
      if (holder) return holder;
    }
    throw new Error(`idempotency record ${id} kept changing under us`);
  }

  async remove(id: string): Promise<void> {
    if (isPlausibleId(id)) await this.collections.idempotency.removeMany({ _id: id });
  }
}
