/**
 * The `audit` service (started with the `applications` part): records access entries sent by the
 * gateways and answers operators' queries (`audit.query`, the REPL's `audit` command).
 */
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { AppConfig } from '../../lib/config';
import { EmbeddedAuditStore } from './embedded-store';
import { MongoAuditStore } from './mongo-store';
import { PostgresAuditStore } from './postgres-store';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, MAX_QUERY_LIMIT, type AuditEntry, type AuditQuery, type AuditStore } from './types';

type AuditService = Service & { store: AuditStore };

function storeFor(config: Pick<AppConfig, 'storeEngine' | 'databaseUrl' | 'mongoUri' | 'dataDir'>, host: Service): AuditStore {
  if (config.storeEngine === 'postgres' && config.databaseUrl) return new PostgresAuditStore(config.databaseUrl);
  if (config.storeEngine === 'mongo' && config.mongoUri) return new MongoAuditStore(config.mongoUri, host);
  return new EmbeddedAuditStore(config.dataDir);
}

const entrySchema = {
  type: 'object',
  strict: 'remove',
  props: {
    at: { type: 'string', max: 40 },
    actor: { type: 'string', max: 200 },
    action: { type: 'enum', values: [...AUDIT_ACTIONS] },
    applicationIds: { type: 'array', items: { type: 'string', max: 100 }, max: 1_000 },
    outcome: { type: 'enum', values: [...AUDIT_OUTCOMES] },
    node: { type: 'string', max: 200 },
  },
};

export function createAuditService(config: AppConfig): ServiceSchema {
  const schema: ServiceSchema<Record<string, never>, Record<string, never>, { store: AuditStore }, AuditService> = {
    name: 'audit',
    actions: {
      record: {
        visibility: 'public',
        params: { entries: { type: 'array', items: entrySchema, max: 10_000 } },
        async handler(this: AuditService, ctx: Context<{ entries: AuditEntry[] }>) {
          await this.store.append(ctx.params.entries);
          return { recorded: ctx.params.entries.length };
        },
      },
      query: {
        params: {
          applicationId: { type: 'string', optional: true, max: 100 },
          actor: { type: 'string', optional: true, max: 200 },
          since: { type: 'string', optional: true, max: 40 },
          limit: { type: 'number', integer: true, min: 1, max: MAX_QUERY_LIMIT, optional: true, convert: true },
        },
        handler(this: AuditService, ctx: Context<AuditQuery>) {
          return this.store.query(ctx.params);
        },
      },
    },
    created(this: AuditService) {
      this.store = storeFor(config, this);
    },
    async started(this: AuditService) {
      await this.store.connect();
    },
    async stopped(this: AuditService) {
      await this.store.close();
    },
  };
  return schema as unknown as ServiceSchema;
}
