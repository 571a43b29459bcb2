/**
 * GET /applications/{id}/events (CONTRACT §2): server-sent events numbered by the store; a resume
 * with Last-Event-ID sends exactly what came after it; the stream ends after `completed`.
 */
import { todayInMoscow } from '../../lib/dates';
import { api, eventually, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { readEventStream, type ServerSentEvent } from '../support/sse';
import { sampleApplication } from '../unit/fixtures/application';

jest.setTimeout(60_000);

let system: RunningSystem;
const key = { 'x-api-key': 'demo-key' };

beforeAll(async () => {
  system = await startSystem({ env: { PARTNER_KEYS: 'demo:demo-key,other:other-key', PARTNER_WEBHOOK_SECRETS: 'demo:demo-webhook-secret,other:other-webhook-secret' }, latencyScale: 0.1 });
});
afterAll(() => system?.stop());

async function submit(): Promise<{ id: string; insurers: Array<{ code: string }> }> {
  const created = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
  expect(created.status).toBe(202);
  return created.json as { id: string; insurers: Array<{ code: string }> };
}

const eventsUrl = (id: string) => `${system.baseUrl}/api/v1/applications/${id}/events`;
const ids = (events: ServerSentEvent[]) => events.map((e) => Number(e.id));

test('the stream holds every final quote once, numbered 1…n, then completed (n+1), and ends', async () => {
  const { id, insurers } = await submit();
  const stream = await readEventStream(eventsUrl(id), key);
  expect(stream.status).toBe(200);
  expect(stream.contentType).toMatch(/^text\/event-stream/);
  expect(stream.ended).toBe(true);
  expect(ids(stream.events)).toEqual(Array.from({ length: insurers.length + 1 }, (_, n) => n + 1));
  const quotes = stream.events.slice(0, -1).map((e) => JSON.parse(e.data) as { insurer: { code: string }; status: string; applicationId: string });
  expect(stream.events.slice(0, -1).every((e) => e.event === 'quote')).toBe(true);
  expect(new Set(quotes.map((q) => q.insurer.code))).toEqual(new Set(insurers.map((i) => i.code)));
  expect(quotes.every((q) => q.applicationId === id && q.status !== 'pending')).toBe(true);
  expect(stream.events.at(-1)?.event).toBe('completed');
  const completed = JSON.parse(stream.events.at(-1)?.data ?? '{}') as { status: string; quotes: unknown[] };
  expect(completed).toMatchObject({ applicationId: id, status: 'completed' });
  expect(completed.quotes).toHaveLength(insurers.length);
  expect(stream.events.some((e) => e.data.includes('"seq"'))).toBe(false);
  // the same numbering from the store afterwards: the quotes' order does not change
  const again = await readEventStream(eventsUrl(id), key);
  expect(again.events).toEqual(stream.events);
});

test('a resume with Last-Event-ID gets exactly the events after it, live ones included', async () => {
  const { id, insurers } = await submit();
  const first = await readEventStream(eventsUrl(id), key, { stopAfter: 2 });
  expect(first.ended).toBe(false);
  expect(ids(first.events)).toEqual([1, 2]);
  const rest = await readEventStream(eventsUrl(id), { ...key, 'Last-Event-ID': '2' });
  expect(rest.ended).toBe(true);
  expect(ids(rest.events)).toEqual(Array.from({ length: insurers.length - 1 }, (_, n) => n + 3));
  const seen = [...first.events, ...rest.events].slice(0, -1).map((e) => (JSON.parse(e.data) as { insurer: { code: string } }).insurer.code);
  expect(seen.sort()).toEqual(insurers.map((i) => i.code).sort()); // nothing missed, nothing repeated
});

test('after completed, a resume from its id ends at once with nothing', async () => {
  const { id, insurers } = await submit();
  await waitCompleted(system, id);
  const after = await readEventStream(eventsUrl(id), { ...key, 'Last-Event-ID': String(insurers.length + 1) }, { timeoutMs: 5_000 });
  expect(after).toMatchObject({ status: 200, ended: true, events: [] });
});

test('a wrong Last-Event-ID is 400 naming it; an unknown or foreign application is 404; no key is 401', async () => {
  const { id } = await submit();
  const bad = await readEventStream(eventsUrl(id), { ...key, 'Last-Event-ID': 'abc' });
  expect(bad.status).toBe(400);
  expect(bad.contentType).toMatch(/problem\+json/);
  expect(JSON.parse(bad.body ?? '{}').errors).toEqual([expect.objectContaining({ field: 'Last-Event-ID' })]);
  expect((await readEventStream(eventsUrl(id), { 'x-api-key': 'other-key' })).status).toBe(404);
  expect((await readEventStream(eventsUrl('00000000-0000-4000-8000-000000000000'), key)).status).toBe(404);
  expect((await readEventStream(eventsUrl(id), {})).status).toBe(401);
});

test('a client that goes away leaves nothing behind on the gateway', async () => {
  const hub = () => (system.broker.getLocalService('gateway') as unknown as { eventStreams: { size: number } }).eventStreams;
  const { id } = await submit();
  const early = await readEventStream(eventsUrl(id), key, { stopAfter: 1 });
  expect(early.ended).toBe(false);
  await eventually(() => (hub().size === 0 ? true : undefined), 5_000);
});

test('a stopping gateway ends its open streams at once instead of waiting for them', async () => {
  // with a shutdown wait much longer than a stop takes, so a stream left open shows
  const own = await startSystem({ latencyScale: 0.1, trackingShutdownMs: 8_000 });
  own.sandbox.setMode('sokol-krylo', 'slow'); // still quoting while the stream is open
  const created = await api(own, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
  const reading = readEventStream(`${own.baseUrl}/api/v1/applications/${created.json.id}/events`, key, { timeoutMs: 20_000 });
  await eventually(() => ((own.broker.getLocalService('gateway') as unknown as { eventStreams: { size: number } }).eventStreams.size > 0 ? true : undefined), 5_000);
  const stopping = Date.now();
  await own.stop();
  expect(Date.now() - stopping).toBeLessThan(4_000);
  expect((await reading).ended).toBe(true);
});
