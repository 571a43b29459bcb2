/** The audit on MongoDB: its own collection `audit`, documents only ever inserted. */
import MongoAdapter from 'moleculer-db-adapter-mongo';
import type { Service } from 'moleculer';
import type { CursorOptions } from 'moleculer-db';
import { DEFAULT_QUERY_LIMIT, type AuditEntry, type AuditQuery, type AuditStore } from './types';

/** The adapter reads its collection's name from its service's schema: a view of the host service that names it. */
function serviceNaming(host: Service, collection: string): Service {
  const view: Service = Object.create(host);
  Object.defineProperty(view, 'schema', { value: { ...host.schema, collection } });
  return view;
}

export class MongoAuditStore implements AuditStore {
  private readonly adapter: MongoAdapter;

  constructor(uri: string, host: Service) {
    this.adapter = new MongoAdapter(uri, { useUnifiedTopology: true });
    this.adapter.init(host.broker, serviceNaming(host, 'audit'));
  }

  connect(): Promise<void> {
    return this.adapter.connect();
  }

  close(): Promise<void> {
    return this.adapter.disconnect();
  }

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length > 0) await this.adapter.insertMany(entries.map((entry) => ({ ...entry })));
  }

  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const filter: Record<string, unknown> = {};
    if (query.applicationId !== undefined) filter.applicationIds = query.applicationId;
    if (query.actor !== undefined) filter.actor = query.actor;
    if (query.since !== undefined) filter.at = { $gte: query.since };
    const newest: CursorOptions = { query: filter, sort: ['-at'], limit: query.limit ?? DEFAULT_QUERY_LIMIT };
    // the adapter answers plain objects: these are the entries this store inserted
    const found = (await this.adapter.find(newest)) as Array<AuditEntry & { _id?: unknown }>;
    return found.map(({ _id, ...entry }) => entry);
  }
}
