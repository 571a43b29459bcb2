/**
 * The PostgreSQL schema as numbered migrations, applied at start. Every node runs `migrate` when it
 * starts; a transaction-scoped advisory lock makes nodes that start together take turns, so each
 * migration runs once and a node never sees a half-made schema. Append new migrations; never edit one
 * that has shipped.
 */
import type { Sql } from './postgres';

interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** An arbitrary key of ours for pg_advisory_xact_lock: "migrating the applications schema". */
const MIGRATION_LOCK_KEY = 5_431_207_901;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'applications, one row per quote, idempotency records',
    statements: [
      // what is queried or changes has a column; what never changes after insert (token, createdAt,
      // deadline, the application, the insurers asked) is one JSON body
      `CREATE TABLE applications (
         id text PRIMARY KEY,
         partner text,
         status text NOT NULL CHECK (status IN ('quoting', 'completed')),
         created_at_ms bigint NOT NULL,
         deadline_ms bigint NOT NULL,
         completed_at text,
         body json NOT NULL
       )`,
      `CREATE INDEX applications_quoting_by_deadline ON applications (deadline_ms) WHERE status = 'quoting'`,
      `CREATE INDEX applications_by_partner ON applications (partner, created_at_ms DESC, id DESC)`,
      // each quote changes once (pending → final), in place: room on the page keeps that update HOT
      `CREATE TABLE quotes (
         application_id text NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
         insurer text NOT NULL,
         status text NOT NULL,
         quote json NOT NULL,
         PRIMARY KEY (application_id, insurer)
       ) WITH (fillfactor = 70)`,
      `CREATE TABLE idempotency_records (
         id text PRIMARY KEY,
         request_hash text NOT NULL,
         response json NOT NULL,
         created_at_ms bigint NOT NULL
       )`,
    ],
  },
  {
    version: 2,
    name: 'quote sequence numbers',
    statements: [
      // the order the application's quotes became final, for server-sent events and webhooks. Two
      // answers numbered alike collide on this index and the later one is numbered again, so the
      // numbers follow the commits. Indexing seq makes a settle a non-HOT update: the price of it.
      `ALTER TABLE quotes ADD COLUMN seq integer`,
      `CREATE UNIQUE INDEX quotes_by_application_seq ON quotes (application_id, seq)`,
    ],
  },
  {
    version: 3,
    name: 'webhook deliveries',
    statements: [
      // services/applications/webhooks: one row per application with an X-Callback-Url
      `CREATE TABLE webhooks (
         application_id text PRIMARY KEY,
         partner text NOT NULL,
         url text NOT NULL,
         sent integer NOT NULL,
         done boolean NOT NULL,
         next_attempt_at_ms bigint NOT NULL,
         retry_at_ms bigint NOT NULL,
         lease_owner text,
         lease_until_ms bigint NOT NULL,
         deliveries json NOT NULL
       )`,
      `CREATE INDEX webhooks_due ON webhooks (next_attempt_at_ms) WHERE NOT done`,
    ],
  },
  {
    version: 4,
    name: 'personal data erasure (retention)',
    statements: [
      // the application's body keeps the sealed personal part; this column says when it was erased
      `ALTER TABLE applications ADD COLUMN personal_erased_at text`,
      `CREATE INDEX applications_personal_retained ON applications (completed_at) WHERE status = 'completed' AND personal_erased_at IS NULL`,
    ],
  },
  {
    version: 5,
    name: 'the access audit, apart from the applications (services/audit)',
    statements: [
      `CREATE TABLE audit_log (
         id bigserial PRIMARY KEY,
         at timestamptz NOT NULL,
         actor text NOT NULL,
         action text NOT NULL,
         application_ids text[] NOT NULL,
         outcome text NOT NULL,
         node text NOT NULL
       )`,
      `CREATE INDEX audit_log_by_application ON audit_log USING gin (application_ids)`,
      `CREATE INDEX audit_log_by_actor ON audit_log (actor, at DESC)`,
      `CREATE INDEX audit_log_by_time ON audit_log (at DESC)`,
    ],
  },
];

/** Applies the migrations this database has not had yet; answers the versions this call applied. */
export async function migrate(sql: Sql): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx.unsafe(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
               version integer PRIMARY KEY,
               name text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now()
             )`;
    const applied = new Set((await tx<{ version: number }[]>`SELECT version FROM schema_migrations`).map((row) => row.version));
    const now: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.unsafe(statement);
      await tx`INSERT INTO schema_migrations (version, name) VALUES (${migration.version}, ${migration.name})`;
      now.push(migration.version);
    }
    return now;
  });
}
