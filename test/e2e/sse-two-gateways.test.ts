/**
 * Server-sent events across two gateways (CONTRACT §2, `GET /applications/{id}/events`): a
 * partner's client reads a few events from gateway A, drops the connection, and resumes on gateway
 * B with `Last-Event-ID`. The store numbers the events, so the two streams together hold every
 * insurer's final quote once and then `completed` once, numbered 1..n+1 without a gap or a repeat.
 */
import { Cluster, DEMO_KEY, getApplication, isFinal, postApplication, request, untilCompleted } from '../support/cluster';
import { expectProblem } from '../support/problem';
import { eventually } from '../support/wait';

const DEADLINE_MS = 12_000;
// never ready before the deadline: the application is still quoting when the client moves
const HELD_BACK = 'sokol-krylo';
const OTHER_KEY = 'other-key';
/** How many events the client reads from gateway A before it drops the connection. */
const READ_ON_A = 2;

jest.setTimeout(120_000);

interface SseEvent {
  id?: string;
  event: string;
  data: string;
  at: number;
}

interface SseStream {
  status: number;
  contentType: string;
  events: SseEvent[];
  comments: string[];
  /** Resolves when the server ended the stream (not when we closed it). */
  ended: Promise<number>;
  endedAt?: number;
  close(): void;
}

/** A minimal EventSource: fetch + ReadableStream, the SSE line format parsed by hand (no retry, no auto-reconnect). */
async function openStream(baseUrl: string, id: string, options: { key?: string; lastEventId?: string } = {}): Promise<SseStream> {
  const abort = new AbortController();
  const headers: Record<string, string> = { 'x-api-key': options.key ?? DEMO_KEY, accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const res = await fetch(`${baseUrl}/api/v1/applications/${id}/events`, { headers, signal: abort.signal });
  const stream: SseStream = {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    events: [],
    comments: [],
    ended: Promise.resolve(0),
    close: () => abort.abort(),
  };
  if (!res.body) return stream;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let current: Partial<SseEvent> & { data?: string } = {};
  const line = (text: string) => {
    if (text === '') {
      if (current.data !== undefined) stream.events.push({ id: current.id, event: current.event ?? 'message', data: current.data, at: Date.now() });
      current = {};
      return;
    }
    if (text.startsWith(':')) return void stream.comments.push(text);
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
    else if (field === 'id') current.id = value;
    else if (field === 'event') current.event = value;
  };
  stream.ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let nl: number;
        while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
          const sep = buffer.startsWith('\r\n', nl) ? 2 : 1;
          line(buffer.slice(0, nl));
          buffer = buffer.slice(nl + sep);
        }
      }
      stream.endedAt = Date.now();
      return stream.endedAt;
    } catch (err) {
      if (abort.signal.aborted) return 0; // we closed it
      throw err;
    }
  })();
  return stream;
}

/** `promise`'s value, or `fallback` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

let cluster: Cluster;
const streams: SseStream[] = [];

beforeAll(async () => {
  cluster = await Cluster.start({
    deadlineMs: DEADLINE_MS,
    latencyScale: 0.1,
    env: {
      PARTNER_KEYS: `demo:${DEMO_KEY},other:${OTHER_KEY}`,
      PARTNER_WEBHOOK_SECRETS: 'demo:demo-webhook-secret,other:other-webhook-secret',
    },
  });
  await cluster.startNodes([
    { name: 'gateway-a', parts: ['gateway'] },
    { name: 'gateway-b', parts: ['gateway'] },
    { name: 'applications', parts: ['applications'] },
    { name: 'offers', parts: ['offers-stream'] },
    { name: 'worker', parts: ['insurers'] },
  ]);
}, 90_000);

afterAll(async () => {
  for (const s of streams) s.close();
  await cluster?.close();
}, 30_000);

test('a partner SSE client moves from gateway A to gateway B with Last-Event-ID: every event once, numbered 1..n+1', () => cluster.run(async () => {
  const a = cluster.node('gateway-a').url;
  const b = cluster.node('gateway-b').url;
  await cluster.sandbox.setMode(HELD_BACK, 'slow');
  const app = await postApplication(a);
  const insurerCount = (await getApplication(a, app.id)).quotes.length;
  expect(insurerCount).toBeGreaterThan(READ_ON_A);

  const onA = await openStream(a, app.id);
  streams.push(onA);
  expect(onA.status).toBe(200);
  expect(onA.contentType).toMatch(/^text\/event-stream/);
  await eventually(() => (onA.events.length >= READ_ON_A ? true : undefined), DEADLINE_MS, 20,
    () => `gateway A sent ${onA.events.length} events\n${cluster.describe()}`);
  onA.close();
  await onA.ended;
  const fromA = [...onA.events];
  const lastOnA = fromA[fromA.length - 1];
  // still quoting when the client moves: the held-back insurer answers only at the deadline
  expect(fromA.map((e) => e.event)).not.toContain('completed');
  expect((await getApplication(b, app.id)).status).toBe('quoting');

  const onB = await openStream(b, app.id, { lastEventId: lastOnA.id });
  streams.push(onB);
  expect(onB.status).toBe(200);
  expect(onB.contentType).toMatch(/^text\/event-stream/);
  const endedAt = await within(onB.ended, DEADLINE_MS + 10_000, -1);
  expect(endedAt).toBeGreaterThan(0); // the server ended the stream on B
  const fromB = [...onB.events];

  const all = [...fromA, ...fromB];
  const n = insurerCount;
  expect(all.map((e) => e.id)).toEqual(Array.from({ length: n + 1 }, (_, i) => String(i + 1)));
  expect(fromB.length).toBeGreaterThan(0);
  expect(Number(fromB[0].id)).toBe(Number(lastOnA.id) + 1);
  expect(all.map((e) => e.event)).toEqual([...Array<string>(n).fill('quote'), 'completed']);
  // the stream on B ended after completed, and soon after it
  expect(fromB[fromB.length - 1].event).toBe('completed');
  expect(endedAt - fromB[fromB.length - 1].at).toBeLessThan(2_000);

  const quotes = all.filter((e) => e.event === 'quote').map((e) => JSON.parse(e.data) as { applicationId: string; insurer: { code: string }; status: string });
  expect(quotes.every((q) => q.applicationId === app.id)).toBe(true);
  expect(quotes.filter((q) => !isFinal(q)).map((q) => `${q.insurer.code}=${q.status}`)).toEqual([]);
  const codes = quotes.map((q) => q.insurer.code).sort();
  expect(codes).toEqual([...new Set(codes)]);
  const done = await untilCompleted([a, b], app.id, 5_000);
  expect(codes).toEqual(done.quotes.map((q) => q.insurer.code).sort());
  const statusOf = (list: { insurer: { code: string }; status: string }[]) => Object.fromEntries(list.map((q) => [q.insurer.code, q.status]));
  expect(statusOf(quotes)).toEqual(statusOf(done.quotes));
  const completed = JSON.parse(all[n].data) as { applicationId: string; status: string; quotes: { insurer: { code: string }; status: string }[] };
  expect(completed.applicationId).toBe(app.id);
  expect(completed.status).toBe('completed');
  expect(statusOf(completed.quotes)).toEqual(statusOf(quotes));
  expect(statusOf(completed.quotes)[HELD_BACK]).toBe('timeout');

  // a full replay from either gateway gives the same numbering
  for (const gateway of [a, b]) {
    const replay = await openStream(gateway, app.id);
    streams.push(replay);
    expect(await within(replay.ended, 5_000, -1)).toBeGreaterThan(0);
    expect(replay.events.map((e) => `${e.id} ${e.event} ${e.data}`)).toEqual(all.map((e) => `${e.id} ${e.event} ${e.data}`));
  }

  // a resume after the last event: an empty stream that ends at once, on either gateway
  for (const gateway of [a, b]) {
    const after = await openStream(gateway, app.id, { lastEventId: String(n + 1) });
    streams.push(after);
    expect(after.status).toBe(200);
    expect(after.contentType).toMatch(/^text\/event-stream/);
    const ended = await within(after.ended, 3_000, -1);
    after.close();
    expect(`${gateway}: ${ended > 0 ? 'ended' : 'still open after 3 s'}`).toBe(`${gateway}: ended`);
    expect(after.events).toEqual([]);
  }

  // a Last-Event-ID that is no event id: 400 naming the header (whether the OpenAPI document
  // lists that answer is the next test's business)
  const bad = await request(b, 'GET', `/api/v1/applications/${app.id}/events`, undefined, { headers: { 'last-event-id': 'abc' }, checkDocumented: false });
  expectProblem(bad, 400);
  expect(bad.text).toContain('Last-Event-ID');

  // another partner's key does not see this application's events
  for (const gateway of [a, b]) {
    const other = await request(gateway, 'GET', `/api/v1/applications/${app.id}/events`, undefined, { key: OTHER_KEY });
    expectProblem(other, 404);
  }
}));

test('the 400 answer to a malformed Last-Event-ID is in the OpenAPI document', () => cluster.run(async () => {
  const a = cluster.node('gateway-a').url;
  const app = await postApplication(a);
  // request() checks the answer against the served document and throws when it is not listed
  const bad = await request(a, 'GET', `/api/v1/applications/${app.id}/events`, undefined, { headers: { 'last-event-id': 'abc' } });
  expect(bad.status).toBe(400);
}));
