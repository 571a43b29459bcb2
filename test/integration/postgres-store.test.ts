/**
 * What only the PostgreSQL store has: migrations at start (twice, and by two nodes at once), one row
 * per quote, its connection pool, and the lock interplay that postgres.ts reasons about, shown by
 * holding one side's transaction open while the store's statement runs against it.
 */
import type postgres from 'postgres';
import { MIGRATIONS } from '../../services/applications/stores/postgres-schema';
import { PostgresStore } from '../../services/applications/stores/postgres';
import { TIMEOUT_REASON } from '../../services/applications/stores/types';
import type { Quote } from '../../lib/quotes/types';
import { eventually } from '../support/wait';
import { createTestDatabase, offer, quotingDoc, uniqueId, type TestDatabase } from './storage-engines';

let database: TestDatabase;
let store: PostgresStore;

beforeAll(async () => {
  database = await createTestDatabase();
  store = new PostgresStore(database.url);
  await store.connect();
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** Connections the stores hold on this database, and how many of them wait for a lock. */
async function storeConnections(sql: postgres.Sql): Promise<{ open: number; waiting: number }> {
  const [row] = await sql<{ open: number; waiting: number }[]>`
    SELECT count(*)::int AS open, count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting
    FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'osago-applications'`;
  return row;
}

const untilAStatementWaits = () =>
  eventually(async () => ((await storeConnections(database.sql)).waiting > 0 ? true : undefined), 10_000, 10, () => 'no store statement waited for a lock');

describe('migrations', () => {
  test('two nodes starting at once on a new database migrate it once; starting again changes nothing', async () => {
    const fresh = await createTestDatabase();
    const nodes = [new PostgresStore(fresh.url), new PostgresStore(fresh.url)];
    try {
      await Promise.all(nodes.map((node) => node.connect()));
      const applied = await fresh.sql<{ version: number; applied_at: Date }[]>`SELECT version, applied_at FROM schema_migrations ORDER BY version`;
      expect(applied.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));

      await nodes[0].connect();
      const third = new PostgresStore(fresh.url);
      await third.connect();
      await third.close();
      expect(await fresh.sql`SELECT version, applied_at FROM schema_migrations ORDER BY version`).toEqual(applied);

      const tables = await fresh.sql<{ table_name: string }[]>`
        SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
      expect(tables.map((t) => t.table_name)).toEqual(['applications', 'audit_log', 'idempotency_records', 'quotes', 'schema_migrations', 'webhooks']);
      const id = uniqueId('after-migration');
      expect(await nodes[1].insert(quotingDoc(id, ['alpha']))).toBe(true);
      expect((await nodes[0].find(id))?.id).toBe(id);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await fresh.drop();
    }
  });
});

describe('rows', () => {
  test('one row per quote; an answer rewrites that quote row only, completion the application row', async () => {
    const id = uniqueId('rows');
    await store.insert(quotingDoc(id, ['alpha', 'beta', 'gamma']));
    const versions = async () => {
      const [application] = await database.sql<{ xmin: string }[]>`SELECT xmin::text FROM applications WHERE id = ${id}`;
      const quotes = await database.sql<{ insurer: string; xmin: string }[]>`SELECT insurer, xmin::text FROM quotes WHERE application_id = ${id} ORDER BY insurer`;
      return { application: application.xmin, quotes: Object.fromEntries(quotes.map((q) => [q.insurer, q.xmin])) };
    };
    const before = await versions();
    expect(Object.keys(before.quotes)).toEqual(['alpha', 'beta', 'gamma']);

    await store.settleQuote(offer(id, 'beta', 100));
    const after = await versions();
    expect(after.application).toBe(before.application);
    expect(after.quotes.alpha).toBe(before.quotes.alpha);
    expect(after.quotes.gamma).toBe(before.quotes.gamma);
    expect(after.quotes.beta).not.toBe(before.quotes.beta);

    await store.expire(id, new Date().toISOString());
    expect((await versions()).application).not.toBe(before.application);
  });

  test('the pool stays within its size under load and closes on close()', async () => {
    const before = (await storeConnections(database.sql)).open; // the suite's own store
    const node = new PostgresStore(database.url);
    await node.connect();
    const id = uniqueId('pool');
    await node.insert(quotingDoc(id, ['alpha']));
    await Promise.all(Array.from({ length: 300 }, () => node.find(id)));
    const opened = (await storeConnections(database.sql)).open - before;
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(10);
    await node.close();
    await eventually(async () => ((await storeConnections(database.sql)).open === before ? true : undefined), 5_000, 20, () => 'the closed pool left connections open');
  });
});

describe('locks, one side held open', () => {
  test('an expire waits for an answer in flight, then leaves that quote alone and completes with it', async () => {
    const id = uniqueId('expire-waits');
    await store.insert(quotingDoc(id, ['alpha', 'beta']));
    const answer = offer(id, 'alpha', 321);
    let expiring: ReturnType<PostgresStore['expire']> | undefined;
    await database.sql.begin(async (tx) => {
      await tx`UPDATE quotes SET status = 'offer', quote = ${JSON.stringify(answer)}::text::json WHERE application_id = ${id} AND insurer = 'alpha'`;
      expiring = store.expire(id, new Date().toISOString());
      await untilAStatementWaits();
    });
    const expired = await expiring;
    expect(expired?.timedOut.map((q) => q.insurer.code)).toEqual(['beta']);
    expect(expired?.timedOut[0]).toMatchObject({ status: 'timeout', reason: TIMEOUT_REASON });
    expect(expired?.completed?.quotes.alpha).toEqual(answer);
  });

  test('an answer that arrives while an expire holds the application is refused', async () => {
    const id = uniqueId('answer-late');
    await store.insert(quotingDoc(id, ['alpha']));
    let settling: Promise<Quote | undefined> | undefined;
    await database.sql.begin(async (tx) => {
      await tx`SELECT id FROM applications WHERE id = ${id} FOR UPDATE`;
      await tx`UPDATE quotes SET status = 'timeout' WHERE application_id = ${id} AND status = 'pending'`;
      await tx`UPDATE applications SET status = 'completed' WHERE id = ${id}`;
      settling = store.settleQuote(offer(id, 'alpha', 1));
      await untilAStatementWaits();
    });
    expect(await settling).toBeUndefined();
    expect(await store.completeIfSettled(id, new Date().toISOString())).toBeUndefined();
  });

  test('completeIfSettled does not flip past an answer in flight; the one after it does', async () => {
    const id = uniqueId('complete-in-flight');
    await store.insert(quotingDoc(id, ['alpha']));
    const answer = offer(id, 'alpha', 55);
    await database.sql.begin(async (tx) => {
      await tx`UPDATE quotes SET status = 'offer', quote = ${JSON.stringify(answer)}::text::json WHERE application_id = ${id} AND insurer = 'alpha'`;
      expect(await store.completeIfSettled(id, new Date().toISOString())).toBeUndefined();
    });
    const completed = await store.completeIfSettled(id, new Date().toISOString());
    expect(completed?.quotes.alpha).toEqual(answer);
  });

  test('a completion waits for another in flight and then does nothing', async () => {
    const id = uniqueId('complete-twice');
    await store.insert(quotingDoc(id, ['alpha']));
    await store.settleQuote(offer(id, 'alpha', 1));
    let completing: Promise<unknown> | undefined;
    await database.sql.begin(async (tx) => {
      await tx`UPDATE applications SET status = 'completed' WHERE id = ${id}`;
      completing = store.completeIfSettled(id, new Date().toISOString());
      await untilAStatementWaits();
    });
    expect(await completing).toBeUndefined();
  });
});
