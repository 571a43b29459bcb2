/**
 * The default store: moleculer-db's embedded NeDB, one file per collection under DATA_DIR, kept in
 * memory by the one node that owns it. For development and single-node use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MemoryAdapter, type DbAdapter } from 'moleculer-db';
import { DocumentStore, type DocumentCollections } from './documents';

/** NeDB appends every update to its file; compacting now and then keeps the file near the data's size. */
const COMPACTION_INTERVAL_MS = 5 * 60_000;

/** The fields the deadline sweep (status) and a partner's list (partner) query by; NeDB indexes one field each. */
const APPLICATION_INDEXES = ['status', 'partner'];

/** The NeDB datastore the adapter keeps as `db` once connected (not in moleculer-db's typings). */
interface NeDbDatastore {
  setAutocompactionInterval(ms: number): void;
  stopAutocompaction(): void;
  ensureIndex(options: { fieldName: string }): Promise<void>;
}

function datastoreOf(adapter: DbAdapter): NeDbDatastore | undefined {
  return (adapter as { db?: NeDbDatastore }).db ?? undefined;
}

class EmbeddedCollections implements DocumentCollections {
  readonly applications: DbAdapter;
  readonly idempotency: DbAdapter;

  constructor(private readonly dataDir: string) {
    this.applications = new MemoryAdapter({ filename: path.join(dataDir, 'applications.db') });
    this.idempotency = new MemoryAdapter({ filename: path.join(dataDir, 'idempotency.db') });
  }

  async open(): Promise<void> {
    fs.mkdirSync(this.dataDir, { recursive: true });
    for (const adapter of [this.applications, this.idempotency]) {
      await adapter.connect();
      datastoreOf(adapter)?.setAutocompactionInterval(COMPACTION_INTERVAL_MS);
    }
    const applications = datastoreOf(this.applications);
    for (const fieldName of APPLICATION_INDEXES) await applications?.ensureIndex({ fieldName });
  }

  async close(): Promise<void> {
    for (const adapter of [this.applications, this.idempotency]) {
      datastoreOf(adapter)?.stopAutocompaction();
      await adapter.disconnect();
    }
  }

  isDuplicateKey(err: unknown): boolean {
    return typeof err === 'object' && err !== null && 'errorType' in err && err.errorType === 'uniqueViolated';
  }
}

export function createEmbeddedStore(dataDir: string): DocumentStore {
  return new DocumentStore(new EmbeddedCollections(dataDir));
}
