/**
 * Storage for a service: MongoDB when MONGO_URI is set, otherwise moleculer-db's embedded NeDB
 * store kept in a file under DATA_DIR. Services use only the DbAdapter methods both share
 * (insert, findOne, find, count, updateMany, removeMany), so the same code and tests run on either.
 */
import fs from 'node:fs';
import path from 'node:path';
import DbService, { MemoryAdapter, type DbAdapter } from 'moleculer-db';
import MongoAdapter from 'moleculer-db-adapter-mongo';
import type { ServiceBroker, Service, ServiceSchema } from 'moleculer';
import type { AppConfig } from '../lib/config';

/** CRUD actions the moleculer-db mixin would publish: ours are explicit, these stay off. */
const MIXIN_ACTIONS_OFF = ['find', 'count', 'list', 'create', 'insert', 'get', 'update', 'remove'];

/** NeDB appends every update to its file; compacting now and then keeps the file near the data's size. */
const COMPACTION_INTERVAL_MS = 5 * 60_000;

interface EmbeddedStore {
  db?: {
    setAutocompactionInterval?(ms: number): void;
    stopAutocompaction?(): void;
    ensureIndex?(options: { fieldName: string }): Promise<void>;
  };
}

interface MongoStore {
  collection?: { createIndex(spec: Record<string, 1 | -1>): Promise<unknown> };
}

function startCompaction(adapter: DbAdapter): void {
  (adapter as EmbeddedStore).db?.setAutocompactionInterval?.(COMPACTION_INTERVAL_MS);
}

/**
 * Indexes for the fields a service queries by, so a periodic query (the deadline sweep) does not
 * scan the whole history. NeDB indexes one field; MongoDB gets the compound index as written.
 */
export async function ensureIndexes(adapter: DbAdapter, indexes: ReadonlyArray<Record<string, 1 | -1>>): Promise<void> {
  const embedded = (adapter as EmbeddedStore).db;
  const mongo = (adapter as MongoStore).collection;
  for (const spec of indexes) {
    if (mongo) await mongo.createIndex(spec);
    else await embedded?.ensureIndex?.({ fieldName: Object.keys(spec)[0] });
  }
}

function stopCompaction(adapter: DbAdapter): void {
  (adapter as EmbeddedStore).db?.stopAutocompaction?.();
}

export async function closeExtraCollection(adapter: DbAdapter): Promise<void> {
  stopCompaction(adapter);
  await adapter.disconnect();
}

export function createAdapter(config: Pick<AppConfig, 'mongoUri' | 'dataDir'>, collection: string): DbAdapter {
  if (config.mongoUri) return new MongoAdapter(config.mongoUri) as unknown as DbAdapter;
  fs.mkdirSync(config.dataDir, { recursive: true });
  return new MemoryAdapter({ filename: path.join(config.dataDir, `${collection}.db`) }) as unknown as DbAdapter;
}

/** A second collection owned by the same service; close it with closeExtraCollection. */
export async function openExtraCollection(
  config: Pick<AppConfig, 'mongoUri' | 'dataDir'>,
  collection: string,
  broker: ServiceBroker,
  service: Service,
): Promise<DbAdapter> {
  const adapter = createAdapter(config, collection);
  // the Mongo adapter reads the collection name from its service's schema
  const view = Object.create(service, { schema: { value: { ...service.schema, collection } } }) as Service;
  adapter.init(broker, view);
  await adapter.connect();
  startCompaction(adapter);
  return adapter;
}

export function dbMixin(
  config: Pick<AppConfig, 'mongoUri' | 'dataDir'>,
  collection: string,
  indexes: ReadonlyArray<Record<string, 1 | -1>> = [],
): Partial<ServiceSchema> {
  const actions: Record<string, false> = {};
  for (const name of MIXIN_ACTIONS_OFF) actions[name] = false;
  return {
    mixins: [DbService as unknown as ServiceSchema],
    adapter: createAdapter(config, collection),
    collection,
    actions,
    async started(this: Service & { adapter: DbAdapter }) {
      startCompaction(this.adapter);
      await ensureIndexes(this.adapter, indexes);
    },
    stopped(this: Service & { adapter: DbAdapter }) {
      stopCompaction(this.adapter);
    },
  } as Partial<ServiceSchema>;
}
