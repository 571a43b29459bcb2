/**
 * The audit on PostgreSQL: its own table `audit_log` (migration 5 of the shared schema, applied by
 * whichever of this store and the applications' store connects first), rows only ever inserted.
 */
import { openPool, type Sql } from '../applications/stores/postgres';
import { migrate } from '../applications/stores/postgres-schema';
import { DEFAULT_QUERY_LIMIT, type AuditAction, type AuditEntry, type AuditOutcome, type AuditQuery, type AuditStore } from './types';

interface AuditRow {
  at: string;
  actor: string;
  action: AuditAction;
  application_ids: string[];
  outcome: AuditOutcome;
  node: string;
}

export class PostgresAuditStore implements AuditStore {
  private readonly sql: Sql;

  constructor(url: string) {
    this.sql = openPool(url, 2); // appends are batched (audit-trail.ts): two connections carry them
  }

  async connect(): Promise<void> {
    await migrate(this.sql);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map((e) => ({ at: e.at, actor: e.actor, action: e.action, application_ids: e.applicationIds, outcome: e.outcome, node: e.node }));
    await this.sql`
      INSERT INTO audit_log (at, actor, action, application_ids, outcome, node)
      SELECT r.at::timestamptz, r.actor, r.action, ARRAY(SELECT json_array_elements_text(r.application_ids)), r.outcome, r.node
      FROM json_to_recordset(${JSON.stringify(rows)}::text::json) AS r (at text, actor text, action text, application_ids json, outcome text, node text)`;
  }

  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const conditions = [
      query.applicationId === undefined ? this.sql`true` : this.sql`application_ids @> ARRAY[${query.applicationId}]::text[]`,
      query.actor === undefined ? this.sql`true` : this.sql`actor = ${query.actor}`,
      query.since === undefined ? this.sql`true` : this.sql`at >= ${query.since}::timestamptz`,
    ];
    const rows = await this.sql<AuditRow[]>`
      SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, application_ids, outcome, node
      FROM audit_log WHERE ${conditions[0]} AND ${conditions[1]} AND ${conditions[2]}
      ORDER BY at DESC, id DESC LIMIT ${query.limit ?? DEFAULT_QUERY_LIMIT}`;
    return rows.map((row) => ({ at: row.at, actor: row.actor, action: row.action, applicationIds: row.application_ids, outcome: row.outcome, node: row.node }));
  }
}
