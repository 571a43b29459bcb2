/**
 * Webhook records in PostgreSQL (the `webhooks` table, migration 3), shared by every
 * `applications` node. A lease is one conditional UPDATE, so one node delivers an application's
 * events at a time, and a node that dies mid-run leaves a lease that simply runs out.
 */
import { openPool, type Sql } from '../stores/postgres';
import { isPlausibleId } from '../stores/types';
import type { DeliveryAttempts, WebhookRecord, WebhookStore } from './types';

interface WebhookRow {
  application_id: string;
  partner: string;
  url: string;
  sent: number;
  done: boolean;
  next_attempt_at_ms: number;
  retry_at_ms: number;
  lease_owner: string | null;
  lease_until_ms: number;
  deliveries: DeliveryAttempts[];
}

const recordOf = (row: WebhookRow): WebhookRecord => ({
  applicationId: row.application_id,
  partner: row.partner,
  url: row.url,
  sent: row.sent,
  done: row.done,
  nextAttemptAtMs: row.next_attempt_at_ms,
  retryAtMs: row.retry_at_ms,
  leaseOwner: row.lease_owner,
  leaseUntilMs: row.lease_until_ms,
  deliveries: row.deliveries,
});

export class PostgresWebhookStore implements WebhookStore {
  private readonly sql: Sql;

  constructor(url: string) {
    this.sql = openPool(url, 4); // a few short statements per delivery
  }

  /** The table comes with the applications' migrations, which the applications store runs first. */
  async connect(): Promise<void> {
    await this.sql`SELECT 1 FROM webhooks LIMIT 0`;
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  async create(record: WebhookRecord): Promise<boolean> {
    const inserted = await this.sql`
      INSERT INTO webhooks (application_id, partner, url, sent, done, next_attempt_at_ms, retry_at_ms, lease_owner, lease_until_ms, deliveries)
      VALUES (${record.applicationId}, ${record.partner}, ${record.url}, ${record.sent}, ${record.done}, ${record.nextAttemptAtMs}, ${record.retryAtMs},
              ${record.leaseOwner}, ${record.leaseUntilMs}, ${JSON.stringify(record.deliveries)}::text::json)
      ON CONFLICT (application_id) DO NOTHING`;
    return inserted.count === 1;
  }

  async remove(applicationId: string): Promise<void> {
    if (isPlausibleId(applicationId)) await this.sql`DELETE FROM webhooks WHERE application_id = ${applicationId}`;
  }

  async find(applicationId: string): Promise<WebhookRecord | undefined> {
    if (!isPlausibleId(applicationId)) return undefined;
    const [row] = await this.sql<WebhookRow[]>`SELECT * FROM webhooks WHERE application_id = ${applicationId}`;
    return row && recordOf(row);
  }

  async claim(applicationId: string, owner: string, nowMs: number, leaseMs: number): Promise<WebhookRecord | undefined> {
    if (!isPlausibleId(applicationId)) return undefined;
    const [row] = await this.sql<WebhookRow[]>`
      UPDATE webhooks SET lease_owner = ${owner}, lease_until_ms = ${nowMs + leaseMs}
      WHERE application_id = ${applicationId} AND NOT done AND lease_until_ms <= ${nowMs} AND retry_at_ms <= ${nowMs}
      RETURNING *`;
    return row && recordOf(row);
  }

  async save(record: WebhookRecord, owner: string): Promise<boolean> {
    const saved = await this.sql`
      UPDATE webhooks SET sent = ${record.sent}, done = ${record.done}, next_attempt_at_ms = ${record.nextAttemptAtMs}, retry_at_ms = ${record.retryAtMs},
                          lease_owner = ${record.leaseOwner}, lease_until_ms = ${record.leaseUntilMs},
                          deliveries = ${JSON.stringify(record.deliveries)}::text::json
      WHERE application_id = ${record.applicationId} AND lease_owner = ${owner}`;
    return saved.count === 1;
  }

  async due(nowMs: number, limit: number): Promise<string[]> {
    const rows = await this.sql<{ application_id: string }[]>`
      SELECT application_id FROM webhooks
      WHERE NOT done AND next_attempt_at_ms <= ${nowMs} AND lease_until_ms <= ${nowMs}
      ORDER BY next_attempt_at_ms LIMIT ${limit}`;
    return rows.map((row) => row.application_id);
  }
}
