/**
 * The default store: the applications in memory, owned by the one node that runs it, with every
 * change appended to a journal under DATA_DIR (journal.ts) and replayed when the node starts. For
 * development and single-node use.
 *
 * Exactly-once rests on there being one owner: a transition checks its precondition on the state
 * and applies the change in the same synchronous step, so no other call can come between, and only
 * then waits for its record to be written. A record is appended after every record its change
 * depends on, and the file keeps their order, so what a call acknowledges never depends on
 * anything a crash could take back. Reads wait for the writes in flight for the same reason: what
 * a client was shown is on file.
 *
 * On the first start over the NeDB files the store used to keep, they are imported and renamed
 * `*.db.imported` (nedb-import.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Quote } from '../../../lib/quotes/types';
import { docOf, EmbeddedState, entryOf, finalCount, lines, type Entry } from './embedded-state';
import { Journal, replay } from './journal';
import { importNeDb, nedbFilesIn } from './nedb-import';
import { lockDataDir } from './owner-lock';
import {
  isPlausibleId,
  type ApplicationDoc,
  type ApplicationStore,
  type Due,
  type Expired,
  type IdempotencyRecord,
  type IdempotencyStore,
  type PartnerPage,
} from './types';

export const JOURNAL_FILE = 'applications.journal';

/** Growth past twice the last snapshot that starts a compaction (see JournalSettings). */
const COMPACTION_SLACK_BYTES = 64 * 1024 * 1024;

export interface EmbeddedOptions {
  /** A torn last line skipped, NeDB files found next to the journal; by default a process warning. */
  warn?: (message: string) => void;
  compactionSlackBytes?: number;
  /** Tests: a small piece size puts changes between every few snapshot lines. */
  snapshotChunkBytes?: number;
  /**
   * Tests that stand for a killed process in one process (a store left open, then a new one on the
   * same files) skip the owner lock (owner-lock.ts); a node always takes it.
   */
  unlocked?: boolean;
}

const processWarning = (message: string) => process.emitWarning(message, 'EmbeddedStoreWarning');

export class EmbeddedStore implements ApplicationStore {
  readonly idempotency: IdempotencyStore = {
    find: (id) => this.findKey(id),
    insertIfAbsent: (record) => this.insertKey(record),
    remove: (id) => this.removeKey(id),
  };
  private state = new EmbeddedState();
  private journal: Journal | undefined;
  private unlock: (() => Promise<void>) | undefined;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly dataDir: string,
    private readonly options: EmbeddedOptions = {},
  ) {
    this.warn = options.warn ?? processWarning;
  }

  async connect(): Promise<void> {
    if (this.journal) throw new Error(`the embedded store in ${this.dataDir} is already connected`);
    await fs.mkdir(this.dataDir, { recursive: true });
    const unlock = this.options.unlocked ? async () => undefined : await lockDataDir(this.dataDir);
    try {
      await this.load();
    } catch (err) {
      await unlock();
      throw err;
    }
    this.unlock = unlock;
  }

  private async load(): Promise<void> {
    const state = new EmbeddedState();
    const file = path.join(this.dataDir, JOURNAL_FILE);
    let imported: string[] = [];
    if (await replay(file, (record) => state.apply(record), this.warn)) {
      const stale = await nedbFilesIn(this.dataDir);
      if (stale.length > 0) this.warn(`${stale.join(', ')} left alone: ${file} holds the data (imported from them, or they were written by an older version since)`);
    } else {
      imported = await importNeDb(this.dataDir, state, this.warn);
    }
    const journal = new Journal(file, () => state.snapshot(), {
      slackBytes: this.options.compactionSlackBytes ?? COMPACTION_SLACK_BYTES,
      snapshotChunkBytes: this.options.snapshotChunkBytes,
    });
    await journal.open();
    try {
      // only once the journal holds their data (a crash before this leaves them, with a warning)
      for (const nedbFile of imported) await fs.rename(nedbFile, `${nedbFile}.imported`);
    } catch (err) {
      await journal.close();
      throw err;
    }
    this.state = state;
    this.journal = journal;
  }

  async close(): Promise<void> {
    const journal = this.journal;
    const unlock = this.unlock;
    this.journal = undefined;
    this.unlock = undefined;
    await journal?.close();
    await unlock?.();
  }

  /** Rewrites the journal as a snapshot now (it also happens by itself as the journal grows). */
  compact(): Promise<void> {
    return this.writer().compact();
  }

  async insert(doc: ApplicationDoc): Promise<boolean> {
    const journal = this.writer();
    if (!isPlausibleId(doc.id)) throw new TypeError(`not an application id: ${JSON.stringify(doc.id)}`);
    if (this.state.applications.has(doc.id)) return false;
    const entry = entryOf(doc);
    this.state.add(entry);
    await journal.append(lines.insert(entry));
    return true;
  }

  async remove(id: string): Promise<void> {
    const journal = this.writer();
    if (!isPlausibleId(id) || !this.state.applications.has(id)) return;
    this.state.remove(id);
    await journal.append(lines.remove(id));
  }

  async find(id: string): Promise<ApplicationDoc | undefined> {
    const entry = this.entry(id);
    return this.onceWritten(entry && docOf(entry));
  }

  async settleQuote(quote: Quote): Promise<Quote | undefined> {
    const journal = this.writer();
    const entry = this.entry(quote.applicationId);
    const code = quote.insurer.code;
    if (entry?.status !== 'quoting' || !entry.pending.has(code) || quote.status === 'pending') return undefined;
    const settled: Quote = { ...quote, seq: finalCount(entry) + 1 };
    const json = JSON.stringify(settled);
    this.state.settle(entry, code, json);
    await journal.append(lines.settle(entry.id, json));
    return settled;
  }

  async completeIfSettled(id: string, completedAt: string): Promise<ApplicationDoc | undefined> {
    const journal = this.writer();
    const entry = this.entry(id);
    if (entry?.status !== 'quoting' || entry.pending.size > 0) return undefined;
    this.state.complete(entry, completedAt);
    const completed = docOf(entry);
    await journal.append(lines.complete(id, completedAt));
    return completed;
  }

  async expire(id: string, at: string): Promise<Expired> {
    const [expired] = await this.expireAll([id], at);
    return expired;
  }

  /** All in one step and one record: one write for a sweep. */
  async expireAll(ids: readonly string[], at: string): Promise<Expired[]> {
    const journal = this.writer();
    const results = new Map<string, Expired>();
    for (const id of ids) {
      const entry = this.entry(id);
      if (entry?.status !== 'quoting') continue; // an id given twice: expired the first time
      results.set(id, { timedOut: this.state.expire(entry, at), completed: docOf(entry) });
    }
    if (results.size > 0) await journal.append(lines.expire([...results.keys()], at));
    return ids.map((id) => results.get(id) ?? { timedOut: [] });
  }

  async due(untilMs: number, limit: number): Promise<Due[]> {
    return this.state.due(untilMs, limit);
  }

  async open(nowMs: number): Promise<ApplicationDoc[]> {
    return this.onceWritten(this.state.open(nowMs).map(docOf));
  }

  async listByPartner(partner: string, offset: number, limit: number): Promise<PartnerPage> {
    const { entries, total } = this.state.page(partner, offset, limit);
    return this.onceWritten({ items: entries.map(docOf), total });
  }

  /**
   * One record for the batch, then a compaction: the journal's older lines still hold the sealed
   * parts, and erasing means they leave the disk too, not only memory.
   */
  async erasePersonal(completedBefore: string, at: string, limit: number): Promise<number> {
    const journal = this.writer();
    const erasable = this.state.erasable(completedBefore, limit);
    if (erasable.length === 0) return 0;
    for (const entry of erasable) this.state.erase(entry, at);
    await journal.append(lines.erase(erasable.map((entry) => entry.id), at));
    await journal.compact();
    return erasable.length;
  }

  private async findKey(id: string): Promise<IdempotencyRecord | undefined> {
    const json = isPlausibleId(id) ? this.state.keys.get(id) : undefined;
    return this.onceWritten(json === undefined ? undefined : (JSON.parse(json) as IdempotencyRecord));
  }

  /** One owner, one synchronous check: of concurrent inserts for an id, the first wins and the others are answered its record. */
  private async insertKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const journal = this.writer();
    if (!isPlausibleId(record.id)) throw new TypeError(`not an idempotency record id: ${JSON.stringify(record.id)}`);
    const holder = this.state.keys.get(record.id);
    if (holder !== undefined) return this.onceWritten(JSON.parse(holder) as IdempotencyRecord);
    const json = JSON.stringify(record);
    this.state.keys.set(record.id, json);
    await journal.append(lines.key(json));
    return undefined;
  }

  private async removeKey(id: string): Promise<void> {
    const journal = this.writer();
    if (!isPlausibleId(id) || !this.state.keys.delete(id)) return;
    await journal.append(lines.unkey(id));
  }

  private entry(id: string): Entry | undefined {
    return isPlausibleId(id) ? this.state.applications.get(id) : undefined;
  }

  /** `answer`, read now, once the writes in flight are done: a crash cannot take back what it shows. */
  private async onceWritten<T>(answer: T): Promise<T> {
    await this.journal?.written();
    return answer;
  }

  /** Before any change touches memory: after a failed write, memory would only drift further from the file. */
  private writer(): Journal {
    if (!this.journal) throw new Error(`the embedded store in ${this.dataDir} is not connected`);
    if (this.journal.failure) throw this.journal.failure;
    return this.journal;
  }
}

export function createEmbeddedStore(dataDir: string, options: EmbeddedOptions = {}): EmbeddedStore {
  return new EmbeddedStore(dataDir, options);
}
