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
import crypto from 'node:crypto';
import type { CursorOptions, DbAdapter } from 'moleculer-db';
import type { Quote } from '../../../lib/quotes/types';
import {
  isPlausibleId,
  timedOutQuote,
  TIMEOUT_REASON,
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
  expiredBy?: string; // which expiry call completed it (see expireAll)
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

/** An insurer code becomes part of a field path (`quotes.<code>.status`): no dots, no `$`. */
const FIELD_SAFE_CODE = /^[\w-]{1,64}$/;

function fromStored(stored: StoredApplication): ApplicationDoc {
  const { _id, pending: _pending, expiredBy: _expiredBy, ...rest } = stored;
  return { id: _id, ...rest };
}

/** The sequence number of the first quote an expiry times out: the ones still pending are numbered last, in code order. */
function firstTimeoutSeq(stored: Pick<StoredApplication, 'quotes'>, pendingCodes: readonly string[]): number {
  return Object.keys(stored.quotes).length - pendingCodes.length + 1;
}

/** Applications still quoting with the same insurers pending (codes sorted) and as many quotes, expired by one update. */
interface PendingGroup {
  codes: string[];
  applications: StoredApplication[];
}

function byPendingInsurers(quoting: StoredApplication[]): PendingGroup[] {
  const groups = new Map<string, PendingGroup>();
  for (const stored of quoting) {
    const codes = Object.values(stored.quotes)
      .filter((q) => q.status === 'pending')
      .map((q) => q.insurer.code)
      .sort();
    if (!codes.every((code) => FIELD_SAFE_CODE.test(code))) continue; // never stored by us; left to the caller to see as not expired
    const key = `${Object.keys(stored.quotes).length} ${codes.join(' ')}`; // one count of quotes: one numbering
    const group = groups.get(key);
    if (group) group.applications.push(stored);
    else groups.set(key, { codes, applications: [stored] });
  }
  return [...groups.values()];
}

/** What the update of `completeGroup` made of `stored`. */
function expiredFrom(stored: StoredApplication, codes: readonly string[], at: string): Expired {
  const quotes = { ...stored.quotes };
  const first = firstTimeoutSeq(stored, codes);
  const timedOut = codes.map((code, n) => timedOutQuote(stored.quotes[code], at, first + n));
  for (const quote of timedOut) quotes[quote.insurer.code] = quote;
  return { timedOut, completed: fromStored({ ...stored, quotes, status: 'completed', completedAt: at, pending: 0 }) };
}

/**
 * A filter for one application (or a few) still quoting. NeDB takes a query's candidates from one
 * index, the last field it can use, plain values before `$in`: with `_id` last and `status` asked
 * with `$in`, it reads the documents named, not every application still quoting (which it did,
 * for every settle, while `status` came after `_id`). MongoDB plans for itself.
 */
function quotingById(id: string | { $in: string[] }, conditions: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: { $in: ['quoting'] }, ...conditions, _id: id };
}

// DbAdapter answers plain objects; these name what this store put there
const asApplication = (found: object | null): StoredApplication | undefined => (found ? (found as StoredApplication) : undefined);
const asApplications = (found: object[]): StoredApplication[] => found as StoredApplication[];
const asIdempotency = (found: object | null): StoredIdempotency | undefined => (found ? (found as StoredIdempotency) : undefined);

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

  /**
   * The sequence number comes from the count of quotes still pending, read first and pinned in the
   * filter: an answer for another insurer landing in between changes the count, so ours matches
   * nothing and is tried again on a fresh read (at most once per insurer of the application).
   */
  async settleQuote(quote: Quote): Promise<Quote | undefined> {
    const code = quote.insurer.code;
    if (!isPlausibleId(quote.applicationId) || !FIELD_SAFE_CODE.test(code) || quote.status === 'pending') return undefined;
    for (;;) {
      const stored = await this.findStored(quote.applicationId);
      if (stored?.status !== 'quoting' || stored.quotes[code]?.status !== 'pending') return undefined;
      const settled: Quote = { ...quote, seq: Object.keys(stored.quotes).length - stored.pending + 1 };
      const changed = await this.collections.applications.updateMany(
        quotingById(quote.applicationId, { pending: stored.pending, [`quotes.${code}.status`]: 'pending' }),
        { $set: { [`quotes.${code}`]: settled }, $inc: { pending: -1 } },
      );
      if (changed === 1) return settled;
    }
  }

  async completeIfSettled(id: string, completedAt: string): Promise<ApplicationDoc | undefined> {
    if (!isPlausibleId(id)) return undefined;
    return this.flipToCompleted(id, completedAt, { pending: 0 });
  }

  async expire(id: string, at: string): Promise<Expired> {
    const [expired] = await this.expireAll([id], at);
    return expired;
  }

  /**
   * One read for all of them, and one update for each set of insurers still pending: hundreds due
   * together cost a few queued operations (and NeDB appends), not two each. The filter pins the
   * pending set that was read: a quote never returns to pending, so if those are all still pending
   * the set is unchanged. An answer that lands in between leaves its application unmatched, and that
   * one is read again (each application can change only as often as it has insurers). A token
   * in the update tells which applications this call completed when another node expired some too.
   */
  async expireAll(ids: readonly string[], at: string): Promise<Expired[]> {
    const results = new Map<string, Expired>();
    let remaining = [...new Set(ids.filter(isPlausibleId))];
    while (remaining.length > 0) {
      const quoting = asApplications(await this.collections.applications.find({ query: quotingById({ $in: remaining }) }));
      const again: string[] = [];
      for (const group of byPendingInsurers(quoting)) {
        const completed = await this.completeGroup(group, at);
        for (const stored of group.applications) {
          if (completed.has(stored._id)) results.set(stored._id, expiredFrom(stored, group.codes, at));
          else again.push(stored._id);
        }
      }
      remaining = again;
    }
    return ids.map((id) => results.get(id) ?? { timedOut: [] });
  }

  /** The ids of `group` this call completed. */
  private async completeGroup(group: PendingGroup, at: string): Promise<Set<string>> {
    const ids = group.applications.map((a) => a._id);
    const token = crypto.randomUUID();
    const pinned: Record<string, unknown> = {};
    const set: Record<string, unknown> = { status: 'completed', completedAt: at, pending: 0, expiredBy: token };
    const first = firstTimeoutSeq(group.applications[0], group.codes);
    group.codes.forEach((code, n) => {
      pinned[`quotes.${code}.status`] = 'pending';
      const timedOut = { status: 'timeout', reason: TIMEOUT_REASON, at, seq: first + n };
      for (const [field, value] of Object.entries(timedOut)) set[`quotes.${code}.${field}`] = value;
    });
    const changed = await this.collections.applications.updateMany(quotingById({ $in: ids }, pinned), { $set: set });
    if (changed === ids.length) return new Set(ids);
    if (changed === 0) return new Set();
    const ours = asApplications(await this.collections.applications.find({ query: { expiredBy: token, _id: { $in: ids } } }));
    return new Set(ours.map((a) => a._id));
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

  /** Ids first (an update takes no limit), then one update that re-checks the part is still sealed. */
  async erasePersonal(completedBefore: string, at: string, limit: number): Promise<number> {
    const erasable: CursorOptions = {
      query: { status: 'completed', completedAt: { $lte: completedBefore }, 'application.personal.sealed': { $exists: true } },
      sort: ['completedAt'],
      limit,
    };
    const ids = asApplications(await this.collections.applications.find(erasable)).map((doc) => doc._id);
    if (ids.length === 0) return 0;
    return this.collections.applications.updateMany(
      { _id: { $in: ids }, 'application.personal.sealed': { $exists: true } },
      { $set: { 'application.personal': { erasedAt: at } } },
    );
  }

  private async findStored(id: string): Promise<StoredApplication | undefined> {
    if (!isPlausibleId(id)) return undefined;
    return asApplication(await this.collections.applications.findOne({ _id: id }));
  }

  /** Once the flip is ours the application can no longer change, so reading it afterwards gives its final state. */
  private async flipToCompleted(id: string, completedAt: string, condition: { pending?: 0 } = {}): Promise<ApplicationDoc | undefined> {
    const changed = await this.collections.applications.updateMany(quotingById(id, condition), { $set: { status: 'completed', completedAt } });
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
