/**
 * The Moleculer pitfall: an action `timeout` rejects the caller but leaves the handler (and its
 * HTTP request) running, and the breaker never counts Moleculer's own RequestTimeoutError (the
 * Timeout middleware sits outside the CircuitBreaker one). Our insurer calls must do better: the
 * request is aborted at INSURER_CALL_TIMEOUT_MS, the socket really closes, the abort counts as a
 * failure, and an open circuit refuses without touching the network.
 *
 * The "insurers" here are a raw node:http server that accepts every request and never answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { todayInMoscow } from '../../lib/dates';
import { INSURERS } from '../../lib/insurers/catalog';
import type { Quote } from '../../lib/quotes/types';
import { api, eventually, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { sampleApplication } from '../unit/fixtures/application';
import { PAST_DEADLINE_MS } from '../../services/insurers/exchange';

const CALL_TIMEOUT = 200;
// where the application's deadline must cut a call, the call timeout is far from it, so a loaded
// machine's lag cannot blur which of the two fired
const LONG_CALL_TIMEOUT = 8_000; // well beyond the deadline plus PAST_DEADLINE_MS
const RETRIES = 2; // lib/config: retry { retries: 2, delayMs: 100, factor: 2 }
const RETRY_DELAYS = 100 + 200;
const MIN_REQUESTS = 2; // calls, each judged after its retries
const DEADLINE = 5_000;
// three aborted attempts and the two waits between them
const EXPECTED_CALL_MS = CALL_TIMEOUT * (1 + RETRIES) + RETRY_DELAYS;
// Room for a loaded two-core machine above what the timers say. Nothing else would end these
// calls soon: the server never answers, Moleculer's backstop timeout does not close a request,
// and undici's own timeouts are minutes.
const SLACK_MS = 1_000;

const SHOW_TIMINGS = Boolean(process.env.SHOW_TIMINGS);
const timings: string[] = [];
const note = (line: string) => timings.push(line);
afterAll(() => {
  if (SHOW_TIMINGS && timings.length) console.log(`insurer-call-bounds timings:\n  ${timings.join('\n  ')}`);
});

interface Hit {
  method: string;
  url: string;
  at: number;
  closedAt?: number; // when the client hung up (the server never answers, so only the client can)
}

/** Accepts every request and never answers; remembers each one and when its connection closed. */
async function hangingServer() {
  const hits: Hit[] = [];
  const server = http.createServer((req) => {
    const hit: Hit = { method: req.method ?? '', url: req.url ?? '', at: Date.now() };
    hits.push(hit);
    req.socket.once('close', () => {
      hit.closedAt = Date.now();
    });
    req.resume(); // read the body, never write a response
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const openConnections = () => new Promise<number>((resolve, reject) => server.getConnections((e, n) => (e ? reject(e) : resolve(n))));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { hits, url, openConnections, close };
}

type Hanging = Awaited<ReturnType<typeof hangingServer>>;

/**
 * A hanging server and a system whose insurers all live on it, started before the calling block's
 * tests and stopped after them: read `server` and `system` inside the tests, once beforeAll ran.
 */
function hangingSystem(callTimeoutMs = CALL_TIMEOUT): { server: Hanging; system: RunningSystem } {
  const env = {} as { server: Hanging; system: RunningSystem };
  beforeAll(async () => {
    env.server = await hangingServer();
    env.system = await startSystem({
      env: {
        INSURERS_URL: env.server.url,
        INSURER_CALL_TIMEOUT_MS: String(callTimeoutMs),
        CIRCUIT_MIN_REQUESTS: String(MIN_REQUESTS),
        QUOTE_DEADLINE_MS: String(DEADLINE),
        // Moleculer warns at every retry; the assertions say what matters
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
      },
      parts: ['applications', 'insurers', 'offers-stream', 'gateway'],
    });
  });
  afterAll(async () => {
    await env.system?.stop();
    await env.server?.close();
  });
  return env;
}

/** Rejection of a promise, with how long it took; a fulfilled promise fails the test. */
async function rejection(call: () => Promise<unknown>): Promise<{ err: { type?: string; code?: number; message?: string }; ms: number }> {
  const t0 = Date.now();
  const err = await call().then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  return { err: err as { type?: string }, ms: Date.now() - t0 };
}

/**
 * Every recorded request was closed by the client about the call timeout after it arrived (the
 * client's timer starts before the request reaches the server, so a little under it is fine).
 */
async function expectAllAborted(hits: Hit[]) {
  await eventually(() => (hits.every((h) => h.closedAt !== undefined) ? true : undefined), CALL_TIMEOUT + SLACK_MS, 10);
  for (const h of hits) {
    const heldMs = (h.closedAt as number) - h.at;
    expect(heldMs).toBeGreaterThanOrEqual(CALL_TIMEOUT / 2);
    expect(heldMs).toBeLessThan(CALL_TIMEOUT + SLACK_MS);
  }
  return hits.map((h) => (h.closedAt as number) - h.at);
}

describe('one insurer action called directly', () => {
  const env = hangingSystem();

  it('aborts each request at the call timeout, counts it, opens the circuit and then refuses without a request', async () => {
    const { server, system } = env;
    const code = INSURERS[0].code;
    const action = `insurers.${code}.submit`;
    const opened: Array<{ action?: string; failures?: number; count?: number; hitsSoFar: number; at: number }> = [];
    system.broker.localBus.on('$circuit-breaker.opened', (payload: { action?: string; failures?: number; count?: number }) => {
      opened.push({ ...payload, hitsSoFar: server.hits.length, at: Date.now() });
    });
    const params = () => ({ applicationId: `call-bounds-${Date.now()}`, application: sampleApplication(todayInMoscow()), deadlineMs: Date.now() + DEADLINE });

    // 1st call: three attempts, each aborted by our own signal, not by Moleculer's backstop timeout
    const first = await rejection(() => system.broker.call(action, params()));
    note(`direct call 1: rejected ${first.err.type} after ${first.ms} ms (expected ≈ ${EXPECTED_CALL_MS})`);
    expect(first.err.type).toBe('INSURER_CALL_TIMEOUT');
    expect(first.ms).toBeGreaterThanOrEqual(EXPECTED_CALL_MS - 30);
    expect(first.ms).toBeLessThan(EXPECTED_CALL_MS + SLACK_MS);
    expect(server.hits).toHaveLength(1 + RETRIES);
    for (const h of server.hits) expect(h).toMatchObject({ method: 'POST', url: expect.stringContaining(`/insurers/${code}/`) });
    note(`direct call 1: server held the requests ${(await expectAllAborted(server.hits)).join(', ')} ms`);
    expect(opened).toEqual([]);

    // more calls until the breaker has seen MIN_REQUESTS failures: it opens on our aborts
    const more: Array<{ type?: string; ms: number }> = [];
    for (let i = 0; i < 3 && opened.length === 0; i++) {
      const r = await rejection(() => system.broker.call(action, params()));
      more.push({ type: r.err.type, ms: r.ms });
      expect(r.err.type).toBe('INSURER_CALL_TIMEOUT');
      expect(r.ms).toBeLessThan(EXPECTED_CALL_MS + SLACK_MS);
    }
    note(`direct calls 2..: ${more.map((m) => `${m.type} after ${m.ms} ms`).join('; ')}`);
    expect(opened).toHaveLength(1);
    // the breaker counted calls, not attempts: each failed call made 1 + RETRIES requests
    expect(opened[0]).toMatchObject({ action, failures: MIN_REQUESTS, count: MIN_REQUESTS, hitsSoFar: MIN_REQUESTS * (1 + RETRIES) });
    expect(server.hits).toHaveLength(MIN_REQUESTS * (1 + RETRIES));
    await expectAllAborted(server.hits);
    expect(await server.openConnections()).toBe(0);

    // the gateway reports it
    const insurers = await api(system, 'GET', '/api/v1/insurers');
    expect((insurers.json as unknown as Array<{ code: string; state: string }>).find((i) => i.code === code)?.state).toBe('open');

    // open: refused at once, and no request reaches the insurer
    const refused = await rejection(() => system.broker.call(action, params()));
    note(`direct call with the circuit open: ${refused.err.type} after ${refused.ms} ms`);
    expect(refused.err.type).toBe('SERVICE_NOT_AVAILABLE');
    expect(refused.ms).toBeLessThan(CALL_TIMEOUT); // a request would have taken the whole call timeout
    await new Promise((r) => setTimeout(r, CALL_TIMEOUT + 100));
    expect(server.hits).toHaveLength(MIN_REQUESTS * (1 + RETRIES));

    // the other action of the same insurer, and other insurers, are not affected
    const other = await rejection(() => system.broker.call(`insurers.${INSURERS[1].code}.submit`, params(), { retries: 0 }));
    expect(other.err.type).toBe('INSURER_CALL_TIMEOUT');
    expect(server.hits).toHaveLength(MIN_REQUESTS * (1 + RETRIES) + 1);
    await expectAllAborted(server.hits);
  });
});

describe('the application deadline bounds a call too', () => {
  const env = hangingSystem(LONG_CALL_TIMEOUT);

  it('a call in flight is cut PAST_DEADLINE_MS after the deadline when that comes before the call timeout, and none is made after it', async () => {
    const { server, system } = env;
    const action = `insurers.${INSURERS[2].code}.submit`;
    const application = sampleApplication(todayInMoscow());

    const near = await rejection(() => system.broker.call(action, { applicationId: 'near', application, deadlineMs: Date.now() + 100 }));
    note(`direct call 100 ms before the deadline: ${near.err.type} after ${near.ms} ms (call timeout ${LONG_CALL_TIMEOUT} ms)`);
    expect(['INSURER_CALL_TIMEOUT', 'DEADLINE_PASSED']).toContain(near.err.type);
    // cut at 100 ms + PAST_DEADLINE_MS, far from the call timeout; a loaded machine may add a little
    expect(near.ms).toBeGreaterThanOrEqual(100 + PAST_DEADLINE_MS - 50);
    expect(near.ms).toBeLessThan(100 + PAST_DEADLINE_MS + 2_000);
    expect(server.hits).toHaveLength(1); // the retry found no time left and did not call
    await eventually(() => server.hits[0].closedAt, LONG_CALL_TIMEOUT, 10);
    expect((server.hits[0].closedAt as number) - server.hits[0].at).toBeLessThan(100 + PAST_DEADLINE_MS + 2_000);

    const past = await rejection(() => system.broker.call(action, { applicationId: 'past', application, deadlineMs: Date.now() - 1 }));
    expect(past.err.type).toBe('DEADLINE_PASSED');
    expect(past.ms).toBeLessThan(PAST_DEADLINE_MS); // refused without a request, which would take the call timeout
    expect(server.hits).toHaveLength(1);
  });
});

describe('end to end: an application while every insurer hangs', () => {
  const env = hangingSystem();

  async function quoted(): Promise<{ created: { id: string; createdAt: string; deadline: string }; done: { completedAt: string; quotes: Quote[] } }> {
    const res = await api(env.system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
    expect(res.status).toBe(202);
    const created = res.json as { id: string; createdAt: string; deadline: string };
    const done = (await waitCompleted(env.system, created.id, DEADLINE + 3_000, 20)) as { completedAt: string; quotes: Quote[] };
    return { created, done };
  }

  it('quotes end `failed`, then `unavailable` once circuits open, long before the deadline, and no request is left open', async () => {
    const { server, system } = env;
    const first = await quoted();
    const firstMs = Date.parse(first.done.completedAt) - Date.parse(first.created.createdAt);
    note(`e2e application 1: ${summary(first.done.quotes)}, completed after ${firstMs} ms (deadline ${DEADLINE})`);
    for (const q of first.done.quotes) {
      expect({ code: q.insurer.code, status: q.status }).toEqual({ code: q.insurer.code, status: expect.stringMatching(/^(failed|unavailable)$/) });
      expect(q.reason).toEqual(expect.any(String));
    }
    // ended by the call bound (≈ EXPECTED_CALL_MS), long before the deadline
    expect(firstMs).toBeLessThan(DEADLINE / 2);
    expect(server.hits.length).toBe(INSURERS.length * (1 + RETRIES));
    await expectAllAborted(server.hits);

    // a second one brings every insurer's submit to MIN_REQUESTS failures: the circuits open
    const second = await quoted();
    const secondMs = Date.parse(second.done.completedAt) - Date.parse(second.created.createdAt);
    note(`e2e application 2: ${summary(second.done.quotes)}, completed after ${secondMs} ms`);
    for (const q of second.done.quotes) expect(['failed', 'unavailable']).toContain(q.status);
    expect(secondMs).toBeLessThan(DEADLINE / 2);
    const states = await eventually(async () => {
      const list = (await api(system, 'GET', '/api/v1/insurers')).json as unknown as Array<{ code: string; state: string }>;
      return list.every((i) => i.state === 'open') ? list : undefined;
    }, 5_000, 20);
    expect(states).toHaveLength(INSURERS.length);
    await expectAllAborted(server.hits);
    const hitsWhenOpen = server.hits.length;

    // the third is answered `unavailable` at once, without a single request
    const third = await quoted();
    const thirdMs = Date.parse(third.done.completedAt) - Date.parse(third.created.createdAt);
    note(`e2e application 3: ${summary(third.done.quotes)}, completed after ${thirdMs} ms`);
    for (const q of third.done.quotes) expect({ code: q.insurer.code, status: q.status }).toEqual({ code: q.insurer.code, status: 'unavailable' });
    expect(thirdMs).toBeLessThan(EXPECTED_CALL_MS); // one request to a hanging insurer would have taken that long
    expect(server.hits.length).toBe(hitsWhenOpen);
    expect(await server.openConnections()).toBe(0);
  });
});

function summary(quotes: Quote[]): string {
  const counts = new Map<string, number>();
  for (const q of quotes) counts.set(q.status, (counts.get(q.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}
