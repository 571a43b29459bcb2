/**
 * What the embedded store holds in memory, the indexes its queries need, and the records of its
 * journal: how each change is written as a line and applied again on replay.
 *
 * An application is held as JSON text: the parts that never change as one text, each quote as its
 * own. A settle then costs one small JSON.stringify (the quote's, reused in its record) instead of a
 * copy of the whole document, a read parses a copy that shares nothing with the state, and a
 * snapshot is text already made.
 *
 * Records say what a thing becomes (this quote is now this; this application completed at that
 * time), never "if … then": applying one again over a state that already holds it changes nothing,
 * which is what lets a snapshot be read while changes go on (journal.ts, compactNow).
 */
import type { Quote } from '../../../lib/quotes/types';
import { SortedList } from './sorted-list';
import { timedOutQuote, type ApplicationDoc, type Due } from './types';

export interface Entry {
  readonly id: string;
  readonly partner: string | null;
  readonly createdAtMs: number;
  readonly deadlineMs: number;
  status: ApplicationDoc['status'];
  completedAt?: string;
  readonly createdAt: string;
  /**
   * The document without status, completedAt and quotes, as JSON, in two parts around its list of
   * insurers (`bodyTail` undefined: no split). That list is the catalog's for nearly every
   * application, so it is one shared text (`insurersJson`) instead of a copy each.
   */
  readonly bodyHead: string;
  readonly bodyTail?: string;
  readonly insurersJson?: string;
  /** By insurer code, each quote as JSON, or as a mark while it is the pending quote a new application starts with. */
  readonly quotes: Map<string, string | PendingMark>;
  readonly pending: Set<string>;
  /** Its personal part is sealed in the body: what retention looks for without parsing every body. */
  readonly personalSealed: boolean;
}

/**
 * A new application's pending quote differs from another's only by the application's id and
 * creation time, both in the entry already: it is kept as its insurer's part alone, one object
 * shared by every application, and written out in full when read. Ten such quotes as text of
 * their own were a third of an in-flight application's heap.
 */
interface PendingMark {
  readonly insurerJson: string;
}

const pendingMarks = new Map<string, PendingMark>(); // by insurer JSON: as many as the catalog has insurers
const insurerLists = new Map<string, string>(); // the same text for the same list: a few, as the catalog changes
const INSURERS_SLOT = '\u0000insurers';
const INSURERS_SLOT_JSON = JSON.stringify(INSURERS_SLOT);

function splitBody(rest: Omit<ApplicationDoc, 'status' | 'completedAt' | 'quotes'>): Pick<Entry, 'bodyHead' | 'bodyTail' | 'insurersJson'> {
  if (!Array.isArray(rest.insurers)) return { bodyHead: JSON.stringify(rest) };
  const listed = JSON.stringify(rest.insurers);
  const insurersJson = insurerLists.get(listed) ?? listed;
  if (insurerLists.size < 64) insurerLists.set(insurersJson, insurersJson);
  const body = JSON.stringify({ ...rest, insurers: INSURERS_SLOT });
  const at = body.indexOf(INSURERS_SLOT_JSON);
  // the same text inside the application's own data would make the split ambiguous: keep it whole
  if (at !== body.lastIndexOf(INSURERS_SLOT_JSON)) return { bodyHead: JSON.stringify(rest) };
  return { bodyHead: body.slice(0, at), bodyTail: body.slice(at + INSURERS_SLOT_JSON.length), insurersJson };
}

function bodyJson(entry: Entry): string {
  return entry.bodyTail === undefined ? entry.bodyHead : entry.bodyHead + entry.insurersJson + entry.bodyTail;
}

function pendingJson(entry: Pick<Entry, 'id' | 'createdAt'>, mark: PendingMark): string {
  return `{"applicationId":${JSON.stringify(entry.id)},"insurer":${mark.insurerJson},"status":"pending","at":${JSON.stringify(entry.createdAt)}}`;
}

/** The quote's JSON, or its mark when the JSON is exactly what the mark writes out. */
function storedQuote(entry: Pick<Entry, 'id' | 'createdAt'>, quote: Quote): string | PendingMark {
  const json = JSON.stringify(quote);
  if (quote.status !== 'pending') return json;
  const insurerJson = JSON.stringify(quote.insurer);
  const mark = pendingMarks.get(insurerJson) ?? { insurerJson };
  if (pendingJson(entry, mark) !== json) return json;
  pendingMarks.set(insurerJson, mark);
  return mark;
}

function quoteJson(entry: Entry, stored: string | PendingMark): string {
  return typeof stored === 'string' ? stored : pendingJson(entry, stored);
}

const byDeadline = (a: Entry, b: Entry) => a.deadlineMs - b.deadlineMs || compareIds(a.id, b.id);
const byCreation = (a: Entry, b: Entry) => a.createdAtMs - b.createdAtMs || compareIds(a.id, b.id);

function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** How many of the application's quotes are final: the last sequence number given out. */
export function finalCount(entry: Pick<Entry, 'quotes' | 'pending'>): number {
  return entry.quotes.size - entry.pending.size;
}

export function entryOf(doc: ApplicationDoc): Entry {
  const { status, completedAt, quotes: given, ...rest } = doc;
  const quotes = new Map<string, string | PendingMark>();
  const pending = new Set<string>();
  const identity = { id: doc.id, createdAt: doc.createdAt };
  for (const [code, quote] of Object.entries(given)) {
    quotes.set(code, storedQuote(identity, quote));
    if (quote.status === 'pending') pending.add(code);
  }
  return {
    id: doc.id,
    partner: doc.partner,
    createdAt: doc.createdAt,
    createdAtMs: doc.createdAtMs,
    deadlineMs: doc.deadlineMs,
    status,
    ...(completedAt === undefined ? {} : { completedAt }),
    ...splitBody(rest),
    quotes,
    pending,
    personalSealed: isSealed(doc),
  };
}

function isSealed(doc: ApplicationDoc): boolean {
  const personal = doc.application?.personal;
  return typeof personal === 'object' && personal !== null && 'sealed' in personal;
}

function quotesJson(entry: Entry): string {
  const parts: string[] = [];
  for (const [code, stored] of entry.quotes) parts.push(`${JSON.stringify(code)}:${quoteJson(entry, stored)}`);
  return `{${parts.join(',')}}`;
}

/** A copy the caller may change at will. */
export function docOf(entry: Entry): ApplicationDoc {
  const doc = JSON.parse(bodyJson(entry)) as ApplicationDoc;
  doc.status = entry.status;
  if (entry.completedAt !== undefined) doc.completedAt = entry.completedAt;
  doc.quotes = JSON.parse(quotesJson(entry)) as Record<string, Quote>;
  return doc;
}

/** The journal's lines: one per change, the first for an application being also its snapshot line. */
export const lines = {
  insert: (entry: Entry) =>
    `{"op":"insert","status":${JSON.stringify(entry.status)},` +
    `${entry.completedAt === undefined ? '' : `"completedAt":${JSON.stringify(entry.completedAt)},`}` +
    `"body":${bodyJson(entry)},"quotes":${quotesJson(entry)}}`,
  settle: (id: string, quoteJson: string) => `{"op":"settle","id":${JSON.stringify(id)},"quote":${quoteJson}}`,
  complete: (id: string, at: string) => JSON.stringify({ op: 'complete', id, at }),
  expire: (ids: readonly string[], at: string) => JSON.stringify({ op: 'expire', ids, at }),
  remove: (id: string) => JSON.stringify({ op: 'remove', id }),
  erase: (ids: readonly string[], at: string) => JSON.stringify({ op: 'erase', ids, at }),
  key: (recordJson: string) => `{"op":"key","record":${recordJson}}`,
  unkey: (id: string) => JSON.stringify({ op: 'unkey', id }),
};

type JournalRecord =
  | { op: 'insert'; status: ApplicationDoc['status']; completedAt?: string; body: Omit<ApplicationDoc, 'status' | 'completedAt' | 'quotes'>; quotes: Record<string, Quote> }
  | { op: 'settle'; id: string; quote: Quote }
  | { op: 'complete'; id: string; at: string }
  // `codes`: journals written before 2026-12-02 name the quotes timed out; replay in order finds the same pending
  | { op: 'expire'; ids: string[]; codes?: string[]; at: string }
  | { op: 'remove'; id: string }
  | { op: 'erase'; ids: string[]; at: string }
  | { op: 'key'; record: { id: string } }
  | { op: 'unkey'; id: string };

export class EmbeddedState {
  readonly applications = new Map<string, Entry>();
  /** Idempotency records by id, as JSON. */
  readonly keys = new Map<string, string>();
  /** Only the applications still quoting: what `due` and `open` read. */
  private readonly quoting = new SortedList<Entry>(byDeadline);
  private readonly partners = new Map<string, SortedList<Entry>>();

  /** Adds `entry`, in place of any application with its id. */
  add(entry: Entry): void {
    this.remove(entry.id);
    this.applications.set(entry.id, entry);
    if (entry.status === 'quoting') this.quoting.add(entry);
    if (entry.partner === null) return;
    let list = this.partners.get(entry.partner);
    if (!list) this.partners.set(entry.partner, (list = new SortedList<Entry>(byCreation)));
    list.add(entry);
  }

  remove(id: string): void {
    const entry = this.applications.get(id);
    if (!entry) return;
    this.applications.delete(id);
    this.quoting.delete(entry);
    if (entry.partner === null) return;
    const list = this.partners.get(entry.partner);
    list?.delete(entry);
    if (list?.size === 0) this.partners.delete(entry.partner);
  }

  settle(entry: Entry, code: string, quoteJson: string): void {
    entry.quotes.set(code, quoteJson);
    entry.pending.delete(code);
  }

  complete(entry: Entry, at: string): void {
    entry.status = 'completed';
    entry.completedAt = at;
    this.quoting.delete(entry);
  }

  /** Times out the quotes still pending (by code), completes, and answers the quotes it timed out. */
  expire(entry: Entry, at: string): Quote[] {
    if (entry.status !== 'quoting') return [];
    const timedOut: Quote[] = [];
    for (const code of [...entry.pending].sort()) {
      const pending = entry.quotes.get(code);
      if (pending === undefined) continue;
      const quote = timedOutQuote(JSON.parse(quoteJson(entry, pending)) as Quote, at, finalCount(entry) + 1);
      this.settle(entry, code, JSON.stringify(quote));
      timedOut.push(quote);
    }
    this.complete(entry, at);
    return timedOut;
  }

  /** Completed at or before `completedBefore` with the personal part still sealed, at most `limit`. */
  erasable(completedBefore: string, limit: number): Entry[] {
    const found: Entry[] = [];
    for (const entry of this.applications.values()) {
      if (found.length >= limit) break;
      if (entry.personalSealed && entry.status === 'completed' && entry.completedAt !== undefined && entry.completedAt <= completedBefore) found.push(entry);
    }
    return found;
  }

  /** The sealed personal part gone, the application marked erased at `at`; the rest as it was. */
  erase(entry: Entry, at: string): void {
    if (!entry.personalSealed) return;
    const doc = docOf(entry);
    this.add(entryOf({ ...doc, application: { ...doc.application, personal: { erasedAt: at } } }));
  }

  /** Quoting, deadline at or before `untilMs`, earliest first. */
  due(untilMs: number, limit: number): Due[] {
    const due: Due[] = [];
    for (let i = 0; i < this.quoting.size && due.length < limit; i++) {
      const entry = this.quoting.at(i);
      if (entry.deadlineMs > untilMs) break;
      due.push({ id: entry.id, deadlineMs: entry.deadlineMs });
    }
    return due;
  }

  /** Quoting, deadline after `nowMs`. */
  open(nowMs: number): Entry[] {
    const open: Entry[] = [];
    for (let i = this.quoting.firstWhere((entry) => entry.deadlineMs > nowMs); i < this.quoting.size; i++) open.push(this.quoting.at(i));
    return open;
  }

  /** A partner's applications newest first (by createdAtMs, then id), from `offset`, at most `limit`. */
  page(partner: string, offset: number, limit: number): { entries: Entry[]; total: number } {
    const list = this.partners.get(partner);
    if (!list) return { entries: [], total: 0 };
    const entries: Entry[] = [];
    const last = Math.max(list.size - Math.max(offset, 0) - Math.max(limit, 0), 0);
    for (let i = list.size - 1 - Math.max(offset, 0); i >= last; i--) entries.push(list.at(i));
    return { entries, total: list.size };
  }

  /** Every live thing as a record line. Map iterators see changes made while they run, so it can be read slowly. */
  *snapshot(): Generator<string> {
    for (const entry of this.applications.values()) yield lines.insert(entry);
    for (const json of this.keys.values()) yield lines.key(json);
  }

  /** Replay: one record of the journal. Records about an application that is gone change nothing. */
  apply(parsed: unknown): void {
    const record = parsed as JournalRecord;
    switch (record.op) {
      case 'insert': {
        const { status, completedAt, body, quotes } = record;
        this.add(entryOf({ ...body, status, ...(completedAt === undefined ? {} : { completedAt }), quotes }));
        return;
      }
      case 'settle': {
        const entry = this.applications.get(record.id);
        if (entry) this.settle(entry, record.quote.insurer.code, JSON.stringify(record.quote));
        return;
      }
      case 'complete': {
        const entry = this.applications.get(record.id);
        if (entry) this.complete(entry, record.at);
        return;
      }
      case 'expire':
        for (const id of record.ids) {
          const entry = this.applications.get(id);
          if (entry) this.expire(entry, record.at);
        }
        return;
      case 'remove':
        this.remove(record.id);
        return;
      case 'erase':
        for (const id of record.ids) {
          const entry = this.applications.get(id);
          if (entry) this.erase(entry, record.at);
        }
        return;
      case 'key':
        this.keys.set(record.record.id, JSON.stringify(record.record));
        return;
      case 'unkey':
        this.keys.delete(record.id);
        return;
      default:
        throw new Error(`unknown record ${JSON.stringify((parsed as { op?: unknown } | null)?.op)}`);
    }
  }
}
