/**
 * PostgreSQL (DATABASE_URL), shared by every `applications` node: an application row, one row per
 * quote, idempotency records (schema in postgres-schema.ts). A quote's answer updates that quote's
 * row only; every per-quote step is one statement.
 *
 * Why each transition happens exactly once under READ COMMITTED, with any number of nodes racing.
 * The invariant everything rests on: a quote is pending only while its application is quoting. Quotes
 * are inserted with their application, and both ways to complete (completeIfSettled, expire) leave no
 * quote pending behind them.
 * - settle: `UPDATE quotes … WHERE status = 'pending'`, that quote's row and nothing else. A second
 *   answer for the same quote (another node, a redelivery, the sweep's timeout) waits for the first
 *   one's row lock, then re-checks the WHERE on the committed row, finds it final, and changes
 *   nothing. After completion no quote is pending, so no answer lands after it. It needs no lock on
 *   the application row: such a lock would be one more write per quote (a MultiXact when several
 *   insurers answer at once) and protect nothing the quote row's lock does not.
 * - completeIfSettled: one UPDATE of the application row, `quoting` and NOT EXISTS a pending quote.
 *   Concurrent completions queue on the row lock; the losers re-check `quoting` and skip, so one
 *   flips it. Its snapshot is taken when the statement starts: an answer not yet committed still
 *   shows its quote pending, so a completion never flips past an answer in flight. It may instead
 *   see pending and do nothing, but the settle that made the last quote final runs its own
 *   completeIfSettled after it committed, with a snapshot that holds every earlier commit, so the
 *   last one to settle completes. Seeing nothing pending also means the quotes it read are final,
 *   so the application it answers is the completed one.
 * - expire: one statement takes the application row FOR UPDATE while it is `quoting` (a second
 *   expire waits, re-checks `quoting` on the committed row and does nothing), turns every quote still
 *   pending into `timeout` and completes. A quote answered meanwhile is re-checked on its committed
 *   row and left alone. The application row is locked before any quote row (the quote updates read
 *   its id from the locked row), and settle locks one quote row only, so no two statements wait on
 *   each other in a cycle.
 */
import postgres from 'postgres';
import type { AnonymisedApplication } from '../../../lib/personal-data/split';
import type { InsurerRef, Quote } from '../../../lib/quotes/types';
import { forEachAtMost } from '../../../lib/for-each-at-most';
import { migrate } from './postgres-schema';
import {
  isPlausibleId,
  TIMEOUT_REASON,
  type ApplicationDoc,
  type ApplicationStore,
  type Expired,
  type IdempotencyRecord,
  type IdempotencyStore,
  type PartnerPage,
  type Due,
} from './types';

// JSON goes to the server as text cast to json: a parameter typed json would be encoded once more
// by the client, and its json helper sends jsonb, which refuses the \u0000 escape that json keeps.

/**
 * Connections per node. Every query is short and postgres.js pipelines up to 100 queries on a
 * connection, so a few carry the settle channel's 100 messages in flight; several nodes and the
 * server's default max_connections (100) must fit together.
 */
const POOL_SIZE = 10;

/** Expiries run at once by `expireAll`: fewer than the pool, so settles still find a connection. */
const EXPIRE_CONCURRENCY = 8;

/** What never changes after insert, stored as one JSON value. */
interface ApplicationBody {
  token: string;
  createdAt: string;
  deadline: string;
  application: AnonymisedApplication;
  insurers: InsurerRef[];
}

interface ApplicationRow {
  id: string;
  partner: string | null;
  status: ApplicationDoc['status'];
  created_at_ms: number;
  deadline_ms: number;
  completed_at: string | null;
  body: ApplicationBody;
  quotes: Record<string, [Quote, number | null]> | null; // by insurer: the quote and its sequence number
}

interface IdempotencyRow {
  id: string;
  request_hash: string;
  response: unknown;
  created_at_ms: number;
}

export function openPool(url: string, max = POOL_SIZE) {
  return postgres(url, {
    max,
    idle_timeout: 60,
    connect_timeout: 10,
    onnotice: () => undefined,
    // the reasoning above is for READ COMMITTED: do not inherit another default from the server
    connection: { application_name: 'osago-applications', default_transaction_isolation: 'read committed' },
    // epoch milliseconds in bigint columns fit a JS number exactly
    types: { bigint: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (raw: string) => Number(raw) } },
  });
}

export type Sql = ReturnType<typeof openPool>;

function toDoc(row: ApplicationRow): ApplicationDoc {
  const { token, createdAt, deadline, application, insurers } = row.body;
  return {
    id: row.id,
    token,
    partner: row.partner,
    status: row.status,
    createdAt,
    createdAtMs: row.created_at_ms,
    deadline,
    deadlineMs: row.deadline_ms,
    ...(row.completed_at ? { completedAt: row.completed_at } : {}),
    application,
    insurers,
    quotes: quotesWithSeq(row.quotes ?? {}),
  };
}

function quotesWithSeq(rows: NonNullable<ApplicationRow['quotes']>): Record<string, Quote> {
  const quotes: Record<string, Quote> = {};
  for (const [code, [quote, seq]] of Object.entries(rows)) quotes[code] = seq === null ? quote : { ...quote, seq };
  return quotes;
}

/** The quote's JSON without its sequence number, which has a column of its own. */
function quoteJson(quote: Quote): string {
  const { seq: _seq, ...stored } = quote;
  return JSON.stringify(stored);
}

/** The constraint two answers numbered alike collide on (migration 2). */
const SEQ_INDEX = 'quotes_by_application_seq';
const SEQ_ATTEMPTS = 20;

/** Runs `step` again while it collides on a sequence number: each collision means another answer committed first. */
async function renumberingCollisions<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      const collided = typeof err === 'object' && err !== null && 'constraint_name' in err && err.constraint_name === SEQ_INDEX;
      if (!collided || attempt >= SEQ_ATTEMPTS) throw err;
    }
  }
}

export class PostgresStore implements ApplicationStore {
  readonly idempotency: IdempotencyStore;
  private readonly sql: Sql;

  constructor(url: string) {
    this.sql = openPool(url);
    this.idempotency = new PostgresIdempotency(this.sql);
  }

  async connect(): Promise<void> {
    await migrate(this.sql);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  async insert(doc: ApplicationDoc): Promise<boolean> {
    const body: ApplicationBody = { token: doc.token, createdAt: doc.createdAt, deadline: doc.deadline, application: doc.application, insurers: doc.insurers };
    const quotes = Object.values(doc.quotes).map((quote) => ({ insurer: quote.insurer.code, status: quote.status, seq: quote.seq ?? null, quote: JSON.parse(quoteJson(quote)) as Quote }));
    const inserted = await this.sql`
      WITH application AS (
        INSERT INTO applications (id, partner, status, created_at_ms, deadline_ms, completed_at, body)
        VALUES (${doc.id}, ${doc.partner}, ${doc.status}, ${doc.createdAtMs}, ${doc.deadlineMs}, ${doc.completedAt ?? null}, ${JSON.stringify(body)}::text::json)
        ON CONFLICT (id) DO NOTHING
        RETURNING id
      ), quote_rows AS (
        INSERT INTO quotes (application_id, insurer, status, seq, quote)
        SELECT application.id, q.insurer, q.status, q.seq, q.quote
        FROM application, json_to_recordset(${JSON.stringify(quotes)}::text::json) AS q (insurer text, status text, seq integer, quote json)
      )
      SELECT id FROM application`;
    return inserted.length === 1;
  }

  async remove(id: string): Promise<void> {
    if (isPlausibleId(id)) await this.sql`DELETE FROM applications WHERE id = ${id}`;
  }

  async find(id: string): Promise<ApplicationDoc | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const [row] = await this.sql<ApplicationRow[]>`
      SELECT a.*, ${this.quotesOf('a')} AS quotes FROM applications a WHERE a.id = ${id}`;
    return row && toDoc(row);
  }

  /** Numbered after the final quotes it sees; see renumberingCollisions for two answers at once. */
  async settleQuote(quote: Quote): Promise<Quote | undefined> {
    if (!isPlausibleId(quote.applicationId) || !isPlausibleId(quote.insurer.code) || quote.status === 'pending') return undefined;
    const id = quote.applicationId;
    const [row] = await renumberingCollisions(
      () => this.sql<{ seq: number }[]>`
        WITH numbered AS (SELECT count(*)::int + 1 AS seq FROM quotes WHERE application_id = ${id} AND status <> 'pending')
        UPDATE quotes SET status = ${quote.status}, quote = ${quoteJson(quote)}::text::json, seq = numbered.seq
        FROM numbered
        WHERE application_id = ${id} AND insurer = ${quote.insurer.code} AND status = 'pending'
        RETURNING quotes.seq`,
    );
    return row ? { ...quote, seq: row.seq } : undefined;
  }

  async completeIfSettled(id: string, completedAt: string): Promise<ApplicationDoc | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const [row] = await this.sql<ApplicationRow[]>`
      WITH completed AS (
        UPDATE applications SET status = 'completed', completed_at = ${completedAt}
        WHERE id = ${id} AND status = 'quoting'
          AND NOT EXISTS (SELECT 1 FROM quotes WHERE application_id = ${id} AND status = 'pending')
        RETURNING *
      )
      SELECT c.*, ${this.quotesOf('c')} AS quotes FROM completed c`;
    return row && toDoc(row);
  }

  async expire(id: string, at: string): Promise<Expired> {
    if (!isPlausibleId(id)) return { timedOut: [] };
    const timeout = JSON.stringify({ status: 'timeout', reason: TIMEOUT_REASON, at });
    const [result] = await renumberingCollisions(
      () => this.sql<{ timed_out: [Quote, number][]; completed: boolean }[]>`
        WITH application AS (
          SELECT id FROM applications WHERE id = ${id} AND status = 'quoting' FOR UPDATE
        ), numbered AS (
          SELECT insurer, row_number() OVER (ORDER BY insurer COLLATE "C")
                 + (SELECT count(*) FROM quotes WHERE application_id = (SELECT id FROM application) AND status <> 'pending') AS seq
          FROM quotes WHERE application_id = (SELECT id FROM application) AND status = 'pending'
        ), timed_out AS (
          UPDATE quotes q SET status = 'timeout', quote = (q.quote::jsonb || ${timeout}::text::jsonb)::json, seq = numbered.seq
          FROM numbered
          WHERE q.application_id = (SELECT id FROM application) AND q.insurer = numbered.insurer AND q.status = 'pending'
          RETURNING q.quote, q.seq
        ), completed AS (
          UPDATE applications SET status = 'completed', completed_at = ${at}
          WHERE id = (SELECT id FROM application)
          RETURNING id
        )
        SELECT coalesce((SELECT json_agg(json_build_array(quote, seq) ORDER BY seq) FROM timed_out), '[]'::json) AS timed_out,
               EXISTS (SELECT 1 FROM completed) AS completed`,
    );
    const timedOut = result.timed_out.map(([quote, seq]) => ({ ...quote, seq }));
    if (!result.completed) return { timedOut };
    // read after commit: this statement's snapshot may predate answers settled while it waited for the lock
    const completed = await this.find(id);
    return completed ? { timedOut, completed } : { timedOut };
  }

  /** Row locks make each expiry its own short transaction; a few run at once over the pool's connections. */
  async expireAll(ids: readonly string[], at: string): Promise<Expired[]> {
    const results = new Map<string, Expired>();
    const failures = await forEachAtMost([...new Set(ids)], EXPIRE_CONCURRENCY, async (id) => {
      results.set(id, await this.expire(id, at));
    });
    if (failures.length > 0) throw failures[0].error;
    return ids.map((id) => results.get(id) ?? { timedOut: [] });
  }

  async due(untilMs: number, limit: number): Promise<Due[]> {
    const rows = await this.sql<{ id: string; deadline_ms: string | number }[]>`
      SELECT id, deadline_ms FROM applications WHERE status = 'quoting' AND deadline_ms <= ${untilMs} ORDER BY deadline_ms LIMIT ${limit}`;
    return rows.map((row) => ({ id: row.id, deadlineMs: Number(row.deadline_ms) }));
  }

  async open(nowMs: number): Promise<ApplicationDoc[]> {
    const rows = await this.sql<ApplicationRow[]>`
      SELECT a.*, ${this.quotesOf('a')} AS quotes FROM applications a WHERE a.status = 'quoting' AND a.deadline_ms > ${nowMs}`;
    return rows.map(toDoc);
  }

  async listByPartner(partner: string, offset: number, limit: number): Promise<PartnerPage> {
    const [rows, [counted]] = await Promise.all([
      this.sql<ApplicationRow[]>`
        SELECT a.*, ${this.quotesOf('a')} AS quotes FROM applications a
        WHERE a.partner = ${partner} ORDER BY a.created_at_ms DESC, a.id DESC OFFSET ${offset} LIMIT ${limit}`,
      this.sql<{ total: number }[]>`SELECT count(*) AS total FROM applications WHERE partner = ${partner}`,
    ]);
    return { items: rows.map(toDoc), total: counted.total };
  }

  /**
   * SKIP LOCKED: a second run (another node) takes other rows or none instead of waiting, and the
   * conditions hold again on the row it locked, so each application is erased once. The body is
   * rebuilt as json (not jsonb, which refuses the \u0000 escapes json keeps), only its
   * `application.personal` replaced.
   */
  async erasePersonal(completedBefore: string, at: string, limit: number): Promise<number> {
    const erased = await this.sql`
      WITH due AS (
        SELECT id FROM applications
        WHERE status = 'completed' AND personal_erased_at IS NULL AND completed_at <= ${completedBefore}
          AND body -> 'application' -> 'personal' ->> 'sealed' IS NOT NULL
        ORDER BY completed_at LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE applications a SET personal_erased_at = ${at}, body = (
        SELECT json_object_agg(b.key, CASE WHEN b.key = 'application' THEN (
          SELECT json_object_agg(p.key, CASE WHEN p.key = 'personal' THEN json_build_object('erasedAt', ${at}::text) ELSE p.value END)
          FROM json_each(a.body -> 'application') AS p
        ) ELSE b.value END)
        FROM json_each(a.body) AS b
      )
      FROM due WHERE a.id = due.id`;
    return erased.count;
  }

  /** The quotes of the application row aliased `alias`, by insurer code. */
  private quotesOf(alias: string) {
    return this.sql`(SELECT json_object_agg(q.insurer, json_build_array(q.quote, q.seq)) FROM quotes q WHERE q.application_id = ${this.sql(alias)}.id)`;
  }
}

class PostgresIdempotency implements IdempotencyStore {
  constructor(private readonly sql: Sql) {}

  async find(id: string): Promise<IdempotencyRecord | undefined> {
    if (!isPlausibleId(id)) return undefined;
    const [row] = await this.sql<IdempotencyRow[]>`SELECT * FROM idempotency_records WHERE id = ${id}`;
    return row && { id: row.id, requestHash: row.request_hash, response: row.response, createdAtMs: row.created_at_ms };
  }

  async insertIfAbsent(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    // the holder can expire and be removed between our insert and our read: then try again.
    // The read is a statement of its own: under READ COMMITTED it sees the holder that made ours
    // wait, which a read in the inserting statement's snapshot would not.
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.sql`
        INSERT INTO idempotency_records (id, request_hash, response, created_at_ms)
        VALUES (${record.id}, ${record.requestHash}, ${JSON.stringify(record.response ?? null)}::text::json, ${record.createdAtMs})
        ON CONFLICT (id) DO NOTHING`;
      if (inserted.count === 1) return undefined;
      const holder = await this.find(record.id);
      if (holder) return holder;
    }
    throw new Error(`idempotency record ${record.id} kept changing under us`);
  }

  async remove(id: string): Promise<void> {
    if (isPlausibleId(id)) await this.sql`DELETE FROM idempotency_records WHERE id = ${id}`;
  }
}
