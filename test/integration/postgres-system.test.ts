/**
 * The whole system on PostgreSQL (DATABASE_URL, a database of this run's own): a partner's REST flow
 * with an Idempotency-Key, a Socket.IO customer's live quotes and one `completed`, the rows that
 * flow leaves, and a node restarted on the same database that keeps the history and finishes what
 * the stopped one left pending.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { todayInMoscow } from '../../lib/dates';
import type { Quote } from '../../lib/quotes/types';
import { api, eventually, listenSandbox, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import type { Sandbox } from '../../sandbox/types';
import { sampleApplication } from '../unit/fixtures/application';
import { createTestDatabase, type TestDatabase } from './storage-engines';

jest.setTimeout(60_000);

const FINAL = ['offer', 'declined', 'failed', 'unavailable', 'timeout'];
const SLOW_INSURER = 'tri-kita';

let database: TestDatabase;
let sandbox: Sandbox;
let system: RunningSystem | undefined;
const sockets: Socket[] = [];

// one key for both starts: each start has a DATA_DIR of its own, where a generated key would differ
const DATA_KEY = Buffer.alloc(32, 3).toString('base64');
const start = () => startSystem({ sandbox, env: { DATABASE_URL: database.url, QUOTE_DEADLINE_MS: '8000', DATA_KEY } });

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = (await listenSandbox()).sandbox;
  system = await start();
});
afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await system?.stop();
  await sandbox?.close();
  await database?.drop();
});

function client(baseUrl: string): Promise<Socket> {
  const socket = connect(baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

async function storedQuoteStatuses(id: string): Promise<Record<string, string>> {
  const rows = await database.sql<{ insurer: string; status: string }[]>`SELECT insurer, status FROM quotes WHERE application_id = ${id}`;
  return Object.fromEntries(rows.map((row) => [row.insurer, row.status]));
}

test('the system runs on the PostgreSQL store', () => {
  expect(system?.config.storeEngine).toBe('postgres');
});

test('a partner: one application per Idempotency-Key, every insurer final, listed, and stored as rows', async () => {
  const running = system as RunningSystem;
  const body = sampleApplication(todayInMoscow());
  const headers = { 'idempotency-key': 'pg-order-1' };
  const [first, again] = await Promise.all([
    api(running, 'POST', '/api/v1/applications', body, { headers }),
    api(running, 'POST', '/api/v1/applications', body, { headers }),
  ]);
  expect(first.status).toBe(202);
  expect(again.status).toBe(202);
  expect(again.json).toEqual(first.json);
  const id = first.json.id as string;

  const done = await waitCompleted(running, id);
  expect(done.quotes.map((q: Quote) => q.status).every((s: string) => FINAL.includes(s))).toBe(true);
  expect(done.bestOffer?.status).toBe('offer');

  // the first application of this database: the race's loser, if any, was dropped
  const list = await api(running, 'GET', '/api/v1/applications?page=1&pageSize=100');
  expect(list.json.items.map((item: { id: string }) => item.id)).toEqual([id]);
  expect(list.json.total).toBe(1);

  const [row] = await database.sql<{ status: string; partner: string }[]>`SELECT status, partner FROM applications WHERE id = ${id}`;
  expect(row).toEqual({ status: 'completed', partner: 'demo' });
  const statuses = await storedQuoteStatuses(id);
  expect(Object.keys(statuses).sort()).toEqual(done.insurers.map((i: { code: string }) => i.code).sort());
  expect(Object.values(statuses).filter((s) => s === 'pending')).toEqual([]);
  expect(await database.sql`SELECT id FROM idempotency_records`).toHaveLength(1);
});

test('a customer over Socket.IO: each insurer once, then exactly one `completed`, none after the deadline sweep had its turn', async () => {
  const running = system as RunningSystem;
  const socket = await client(running.baseUrl);
  const quotes: Quote[] = [];
  const completed: unknown[] = [];
  socket.on('quote', (q: Quote) => quotes.push(q));
  socket.on('completed', (c: unknown) => completed.push(c));
  const ack = await socket.timeout(10_000).emitWithAck('apply', sampleApplication(todayInMoscow()));
  expect(ack).toMatchObject({ ok: true, id: expect.any(String) });

  await eventually(() => (completed.length > 0 ? true : undefined), 20_000);
  // the sweep only looks at applications past their deadline: wait for it to have passed, and two sweeps more
  const sweepsDone = Date.parse(ack.deadline) + 3 * running.config.deadlineSweepMs;
  await eventually(() => (Date.now() > sweepsDone ? true : undefined), 20_000);
  const view = await running.broker.call<{ status: string }, { id: string; token: string }>('applications.snapshot', { id: ack.id, token: ack.token });
  expect(view.status).toBe('completed');
  expect(completed).toHaveLength(1);
  const codes = quotes.map((q) => q.insurer.code);
  expect(new Set(codes).size).toBe(codes.length);
  expect(codes.sort()).toEqual(ack.insurers.map((i: { code: string }) => i.code).sort());
});

test('a node restarted on the same database keeps the history and asks again what the stopped one left pending', async () => {
  const before = system as RunningSystem;
  const history = (await api(before, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()))).json.id as string;
  await waitCompleted(before, history);

  sandbox.setMode(SLOW_INSURER, 'slow');
  const inFlight = (await api(before, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()))).json.id as string;
  await eventually(async () => {
    const statuses = await storedQuoteStatuses(inFlight);
    return Object.entries(statuses).every(([code, status]) => (code === SLOW_INSURER) === (status === 'pending')) ? true : undefined;
  }, 15_000);
  await before.stop();
  system = undefined;
  expect((await storedQuoteStatuses(inFlight))[SLOW_INSURER]).toBe('pending');

  sandbox.setMode(SLOW_INSURER, 'normal');
  system = await start();
  expect((await waitCompleted(system, history)).id).toBe(history);
  const done = await waitCompleted(system, inFlight, 20_000);
  expect(done.quotes.find((q: Quote) => q.insurer.code === SLOW_INSURER)?.status).toBe('offer');
});
