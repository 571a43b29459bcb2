/**
 * MongoDB through moleculer-db-adapter-mongo (MONGO_URI), with the same queries as the embedded
 * store (documents.ts): every transition is one single-document update, atomic in MongoDB, so
 * several `applications` nodes can share the collections.
 */
import MongoAdapter from 'moleculer-db-adapter-mongo';
import type { Service } from 'moleculer';
import { DocumentStore, type DocumentCollections } from './documents';

/** The deadline sweep asks for quoting applications by deadline; a partner's list is by partner, newest first. */
const APPLICATION_INDEXES: ReadonlyArray<Record<string, 1 | -1>> = [
  { status: 1, deadlineMs: 1 },
  { partner: 1, createdAtMs: -1 },
];

/** MongoDB's code for a duplicate key (E11000). */
const DUPLICATE_KEY = 11000;

/** The part of the driver's Collection (mongodb 3.x, untyped here) that this file uses. */
interface IndexedCollection {
  createIndex(spec: Record<string, 1 | -1>): Promise<unknown>;
}

export interface MongoSettings {
  uri: string;
  dbName?: string; // the database of the URI unless given (tests use a database of their own)
}

/** The adapter reads its collection's name from its service's schema: a view of the host service that names it. */
function serviceNaming(host: Service, collection: string): Service {
  const view: Service = Object.create(host);
  Object.defineProperty(view, 'schema', { value: { ...host.schema, collection } });
  return view;
}

class MongoCollections implements DocumentCollections {
  readonly applications: MongoAdapter;
  readonly idempotency: MongoAdapter;

  constructor(settings: MongoSettings, host: Service) {
    const adapterFor = (collection: string) => {
      const adapter = new MongoAdapter(settings.uri, { useUnifiedTopology: true }, settings.dbName);
      adapter.init(host.broker, serviceNaming(host, collection));
      return adapter;
    };
    this.applications = adapterFor('applications');
    this.idempotency = adapterFor('idempotency');
  }

  async open(): Promise<void> {
    await Promise.all([this.applications.connect(), this.idempotency.connect()]);
    const collection: IndexedCollection = this.applications.collection;
    for (const spec of APPLICATION_INDEXES) await collection.createIndex(spec);
  }

  async close(): Promise<void> {
    await Promise.all([this.applications.disconnect(), this.idempotency.disconnect()]);
  }

  isDuplicateKey(err: unknown): boolean {
    return typeof err === 'object' && err !== null && 'code' in err && err.code === DUPLICATE_KEY;
  }
}

export function createMongoStore(settings: MongoSettings, host: Service): DocumentStore {
  return new DocumentStore(new MongoCollections(settings, host));
}
