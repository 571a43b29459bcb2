/**
 * CONTRACT §3 over a real Socket.IO client: apply → live `quote` events → exactly one `completed`,
 * token-guarded `subscribe`, and a reconnecting client that gets the snapshot.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { startSystem, eventually, type RunningSystem } from '../support/system';
import { sampleApplication } from '../unit/fixtures/application';
import { todayInMoscow } from '../../lib/dates';
import type { Quote } from '../../lib/quotes/types';

type Ack = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const FINAL = ['offer', 'declined', 'failed', 'unavailable', 'timeout'];

let system: RunningSystem;
const sockets: Socket[] = [];

function client(): Promise<Socket> {
  const socket = connect(system.baseUrl, { transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function emitAck(socket: Socket, event: string, payload: unknown): Promise<Ack> {
  return socket.timeout(5000).emitWithAck(event, payload) as Promise<Ack>;
}

beforeAll(async () => {
  system = await startSystem({ env: { QUOTE_DEADLINE_MS: '5000' } });
});

afterEach(() => {
  while (sockets.length) sockets.pop()?.disconnect();
});

afterAll(async () => {
  await system.stop();
});

test('apply streams each insurer once and completes exactly once, before the deadline + 1 s', async () => {
  const socket = await client();
  const quotes: Quote[] = [];
  const completed: Ack[] = [];
  socket.on('quote', (q: Quote) => quotes.push(q));
  socket.on('completed', (c: Ack) => completed.push({ ...c, receivedAt: Date.now() }));

  const ack = await emitAck(socket, 'apply', sampleApplication(todayInMoscow()));
  expect(ack).toMatchObject({ ok: true, id: expect.any(String), token: expect.any(String), deadline: expect.any(String) });
  expect(ack.insurers.length).toBeGreaterThanOrEqual(8);

  await eventually(() => (completed.length ? true : undefined), 10_000);
  await new Promise((r) => setTimeout(r, 300)); // a second `completed` would show up here
  expect(completed).toHaveLength(1);
  const done = completed[0];
  expect(done.applicationId).toBe(ack.id);
  expect(done.status).toBe('completed');
  expect(done.receivedAt).toBeLessThanOrEqual(Date.parse(ack.deadline) + 1000);

  // at most once per state, and every insurer reached a final state
  const keys = quotes.map((q) => `${q.insurer.code}:${q.status}`);
  expect(new Set(keys).size).toBe(keys.length);
  const finals = done.quotes as Quote[];
  expect(finals.map((q) => q.insurer.code).sort()).toEqual(ack.insurers.map((i: { code: string }) => i.code).sort());
  for (const q of finals) expect(FINAL).toContain(q.status);
  for (const q of quotes) expect(q.applicationId).toBe(ack.id);
  // the live events carried the same final states as the completed summary
  for (const q of finals) expect(quotes.find((e) => e.insurer.code === q.insurer.code)?.status).toBe(q.status);

  const offers = finals.filter((q) => q.status === 'offer');
  expect(offers.length).toBeGreaterThan(0);
  const cheapest = Math.min(...offers.map((q) => q.premium as number));
  expect(done.bestOffer.premium).toBe(cheapest);
});

test('a bad application is refused in the ack with a problem naming the fields', async () => {
  const socket = await client();
  const app = sampleApplication(todayInMoscow()) as unknown as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  app.vehicle.vin = 'IOQ';
  app.policy.periodMonths = 2;
  const ack = await emitAck(socket, 'apply', app);
  expect(ack.ok).toBe(false);
  expect(ack.error.status).toBe(400);
  const fields = ack.error.errors.map((e: { field: string }) => e.field);
  expect(fields).toEqual(expect.arrayContaining(['vehicle.vin', 'policy.periodMonths']));
});

test('garbage payloads get an error ack and the connection survives', async () => {
  const socket = await client();
  for (const payload of [null, 42, 'text', [], { vehicle: 'x' }]) {
    const ack = await emitAck(socket, 'apply', payload);
    expect(ack.ok).toBe(false);
    expect(ack.error.status).toBe(400);
  }
  const sub = await emitAck(socket, 'subscribe', 'nonsense');
  expect(sub.ok).toBe(false);
  expect(socket.connected).toBe(true);
});

test('a wrong token gets an error and no events; the right token gets the snapshot and live events', async () => {
  // one insurer held back until the deadline (5 s here): the application is still quoting when
  // the friend subscribes, so there are live events to get, the slow one's `timeout` at least
  const slow = system.sandbox.list()[0].code;
  system.sandbox.setMode(slow, 'slow');
  try {
    const owner = await client();
    const ack = await emitAck(owner, 'apply', sampleApplication(todayInMoscow()));
    expect(ack.ok).toBe(true);
    expect(ack.insurers.map((i: { code: string }) => i.code)).toContain(slow);

    const intruder = await client();
    const leaked: unknown[] = [];
    intruder.on('quote', (q) => leaked.push(q));
    intruder.on('completed', (c) => leaked.push(c));
    const refused = await emitAck(intruder, 'subscribe', { id: ack.id, token: 'not-the-token' });
    expect(refused.ok).toBe(false);
    expect(refused.error.status).toBe(404);
    expect(refused.snapshot).toBeUndefined();

    const friend = await client();
    const events: Array<{ code: string; status: string }> = [];
    friend.on('quote', (q: Quote) => events.push({ code: q.insurer.code, status: q.status }));
    const completions: unknown[] = [];
    friend.on('completed', (c: unknown) => completions.push(c)); // `on`: a second one is counted
    const completed = eventually(() => (completions.length > 0 ? true : undefined), 15_000);
    const sub = await emitAck(friend, 'subscribe', { id: ack.id, token: ack.token });
    expect(sub.ok).toBe(true);
    expect(sub.snapshot.status).toBe('quoting');
    expect(sub.snapshot.quotes).toHaveLength(ack.insurers.length);
    const pending = (sub.snapshot.quotes as Quote[]).filter((q) => q.status === 'pending').map((q) => q.insurer.code);
    expect(pending).toContain(slow);
    await completed;

    await new Promise((r) => setTimeout(r, 300)); // a late or repeated event would show up here
    expect(leaked).toHaveLength(0);
    expect(completions).toHaveLength(1);
    // every insurer still pending in the snapshot got exactly one live event with its final state
    const finalEvents = (code: string) => events.filter((e) => e.code === code && FINAL.includes(e.status)).map((e) => e.status);
    for (const code of pending) expect({ code, finals: finalEvents(code).length }).toEqual({ code, finals: 1 });
    expect(finalEvents(slow)).toEqual(['timeout']);
  } finally {
    system.sandbox.reset();
  }
});

test('a client that reconnects and subscribes again gets everything it missed in the snapshot', async () => {
  const first = await client();
  const ack = await emitAck(first, 'apply', sampleApplication(todayInMoscow()));
  first.disconnect();

  // wait until the application is over while nobody listens
  await eventually(async () => {
    const snap = await system.broker.call<{ status: string }, unknown>('applications.snapshot', { id: ack.id, token: ack.token });
    return snap.status === 'completed' ? true : undefined;
  }, 10_000);

  const again = await client();
  const sub = await emitAck(again, 'subscribe', { id: ack.id, token: ack.token });
  expect(sub.ok).toBe(true);
  expect(sub.snapshot.status).toBe('completed');
  const quotes = sub.snapshot.quotes as Quote[];
  expect(quotes.map((q) => q.insurer.code).sort()).toEqual(ack.insurers.map((i: { code: string }) => i.code).sort());
  expect(quotes.filter((q) => q.status === 'pending')).toEqual([]);
});
