/**
 * The Socket.IO surface at its limits (CONTRACT §3, §1 "no input kills a process"): the
 * per-client-address rate limit on `apply`, a message over the gateway's 1 MB limit, and `apply`
 * or `subscribe` sent without an acknowledgement callback.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { todayInMoscow } from '../../lib/dates';
import { sampleApplication } from '../unit/fixtures/application';
import { api, eventually, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { connectClient, emitAck, EventLog, FINAL_STATUSES } from '../support/sockets';

jest.setTimeout(60_000);

const MAX_MESSAGE_BYTES = 1_000_000; // the gateway's maxHttpBufferSize

interface SandboxCounters {
  code: string;
  creates: number;
}

const sockets: Socket[] = [];

async function client(system: RunningSystem): Promise<Socket> {
  const socket = await connectClient(system.baseUrl);
  sockets.push(socket);
  return socket;
}

afterEach(() => {
  while (sockets.length) sockets.pop()?.disconnect();
});

async function sandboxCreates(system: RunningSystem): Promise<number> {
  const res = await fetch(`${system.sandboxUrl}/sandbox/insurers`);
  return ((await res.json()) as SandboxCounters[]).reduce((n, i) => n + i.creates, 0);
}

async function sandboxRecordsOf(system: RunningSystem, applicationId: string): Promise<number> {
  const res = await fetch(`${system.sandboxUrl}/sandbox/quotes?applicationId=${encodeURIComponent(applicationId)}`);
  return ((await res.json()) as unknown[]).length;
}

async function healthy(system: RunningSystem): Promise<void> {
  const res = await api(system, 'GET', '/api/v1/health', undefined, { key: null });
  expect(res.status).toBe(200);
}

describe('the per-client-address limit', () => {
  const LIMIT = 3;
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  test(`apply beyond ${LIMIT} a minute from one address gets a 429 problem with a retry hint, and nothing is created`, async () => {
    // two connections from the same address share one budget
    const [first, second] = [await client(system), await client(system)];
    const accepted = [];
    for (let i = 0; i < LIMIT; i++) accepted.push(await emitAck(i % 2 ? second : first, 'apply', sampleApplication(todayInMoscow())));
    for (const ack of accepted) expect(ack).toMatchObject({ ok: true, id: expect.any(String) });
    for (const ack of accepted) await waitForSocketCompletion(system, ack.token, ack.id);
    const createsBefore = await sandboxCreates(system);

    const log = new EventLog().attach(second);
    const refused = await emitAck(second, 'apply', sampleApplication(todayInMoscow()));
    expect(refused.ok).toBe(false);
    expect(refused.id).toBeUndefined();
    expect(refused.error).toMatchObject({ status: 429, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(refused.error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.error.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect((await emitAck(first, 'apply', sampleApplication(todayInMoscow()))).error?.status).toBe(429);

    // nothing reached an insurer: a partner's application (its own budget) is quoted next, and the
    // sandbox's creates grow by exactly its own once it is over
    const partner = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
    expect(partner.status).toBe(202);
    await waitCompleted(system, partner.json.id);
    expect((await sandboxCreates(system)) - createsBefore).toBe(await sandboxRecordsOf(system, partner.json.id));
    // and no application's events reached the refused socket
    expect([...log.completed.keys(), ...log.quotes.keys()]).toEqual([]);
    expect(second.connected).toBe(true);
  });
});

/** Subscribes a fresh client (snapshot first), so completion is read through Socket.IO too. */
async function waitForSocketCompletion(system: RunningSystem, token: string, id: string): Promise<void> {
  const watcher = await client(system);
  const log = new EventLog().attach(watcher);
  const sub = await emitAck(watcher, 'subscribe', { id, token });
  expect(sub.ok).toBe(true);
  if (sub.snapshot.status === 'completed') return;
  await eventually(() => (log.completedOf(id).length > 0 ? true : undefined), 15_000);
}

describe('a message over the size limit and calls without an ack', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({ env: { QUOTE_DEADLINE_MS: '5000' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  test.each(['websocket', 'polling'] as const)('over %s: a message over 1 MB closes that connection; the process and new connections carry on', async (transport) => {
    const socket = connect(system.baseUrl, { transports: [transport], reconnection: false, forceNew: true });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const createsBefore = await sandboxCreates(system);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    const huge = sampleApplication(todayInMoscow()) as unknown as Record<string, unknown>;
    huge.padding = 'x'.repeat(MAX_MESSAGE_BYTES + 1024);
    const ack = socket.timeout(10_000).emitWithAck('apply', huge).then(
      (answer: unknown) => ({ answered: answer }),
      (err: Error) => ({ failed: err.message }),
    );

    expect(await disconnected).toMatch(/transport (close|error)/);
    expect(await ack).toEqual({ failed: expect.any(String) }); // never acknowledged: the server dropped it

    await healthy(system);
    const fresh = await client(system);
    const next = await emitAck(fresh, 'apply', sampleApplication(todayInMoscow()));
    expect(next).toMatchObject({ ok: true, id: expect.any(String) });
    // the oversized apply created nothing: once the next one is over, the insurers saw it alone
    await waitForSocketCompletion(system, next.token, next.id);
    expect((await sandboxCreates(system)) - createsBefore).toBe(await sandboxRecordsOf(system, next.id));
  });

  test('apply without an ack callback still creates the application, and the socket gets its events', async () => {
    const socket = await client(system);
    const log = new EventLog().attach(socket);
    socket.emit('apply', sampleApplication(todayInMoscow())); // no callback

    const id = await eventually(() => log.completed.keys().next().value, 15_000, 50, () => 'no `completed` for the unacknowledged apply');
    const [done] = log.completedOf(id);
    expect(done.status).toBe('completed');
    for (const q of done.quotes) expect(FINAL_STATUSES).toContain(q.status);
    // its quotes came live too, each final state once, matching `completed`
    const states = log.statesOf(id);
    for (const q of done.quotes) expect({ code: q.insurer.code, seen: states[q.insurer.code] }).toEqual({ code: q.insurer.code, seen: [q.status] });
    expect(socket.connected).toBe(true);
    expect(log.completedOf(id)).toHaveLength(1);
  });

  test('garbage without an ack callback crashes nothing: the same connection keeps working', async () => {
    const socket = await client(system);
    for (const payload of [undefined, null, 42, 'text', [], { vehicle: 'x' }]) {
      socket.emit('apply', payload);
      socket.emit('subscribe', payload);
    }
    socket.emit('apply');
    socket.emit('subscribe');
    const log = new EventLog().attach(socket);
    const refused = await emitAck(socket, 'subscribe', { id: 'nope', token: 'nope' });
    expect(refused).toMatchObject({ ok: false, error: { status: 404 } });
    const ack = await emitAck(socket, 'apply', sampleApplication(todayInMoscow()));
    expect(ack).toMatchObject({ ok: true, id: expect.any(String) });
    // by the time this application is quoted, the calls above (refused at validation) are long over
    await eventually(() => (log.completedOf(ack.id).length > 0 ? true : undefined), 15_000);
    expect(socket.connected).toBe(true);
    await healthy(system);
  });
});
