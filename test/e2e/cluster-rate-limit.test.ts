/**
 * Issue 5: RATE_LIMIT_PER_MINUTE is one budget across every gateway (kept in Redis), for a partner
 * key over REST and for a client address over Socket.IO. With Redis stopped, quoting goes on and
 * each gateway falls back to a budget of its own.
 */
import { expectProblem } from '../support/problem';
import { Cluster, newApplication, postApplication, request, untilCompleted, type ApplyAck } from '../support/cluster';
import type { ApiAnswer } from '../support/system';
import { eventually } from '../support/wait';

const DEADLINE_MS = 15_000;
const PER_MINUTE = 4;
const PARTNER_KEYS = 'demo:demo-key,shared:shared-key,other:other-key,outage:outage-key';

jest.setTimeout(120_000);

let cluster: Cluster;
let a: string;
let b: string;

beforeAll(async () => {
  cluster = await Cluster.start({ deadlineMs: DEADLINE_MS, latencyScale: 0.1, env: { RATE_LIMIT_PER_MINUTE: String(PER_MINUTE), PARTNER_KEYS } });
  await cluster.startNodes([
    { name: 'gateway-a', parts: ['gateway'] },
    { name: 'gateway-b', parts: ['gateway'] },
    { name: 'back', parts: ['applications', 'offers-stream', 'insurers'] },
  ]);
  a = cluster.node('gateway-a').url;
  b = cluster.node('gateway-b').url;
  const first = await postApplication(a);
  await untilCompleted([a, b], first.id, DEADLINE_MS + 5_000);
}, 90_000);

afterAll(() => cluster?.close(), 30_000);

const post = (url: string, key: string): Promise<ApiAnswer> => request(url, 'POST', '/api/v1/applications', newApplication(), { key });

function expectRateLimited(res: ApiAnswer): void {
  expectProblem(res, 429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
}

function expectSocketRateLimited(ack: ApplyAck): void {
  expect(ack.ok).toBe(false);
  expect(ack.error).toEqual(expect.objectContaining({ status: 429, detail: expect.any(String) }));
}

test('a partner key has one budget across both gateways', () => cluster.run(async () => {
  const accepted: number[] = [];
  for (let i = 0; i < PER_MINUTE; i++) accepted.push((await post(i % 2 === 0 ? a : b, 'shared-key')).status);
  expect(accepted).toEqual(Array(PER_MINUTE).fill(202));
  expectRateLimited(await post(a, 'shared-key'));
  expectRateLimited(await post(b, 'shared-key'));
  // another partner's budget is its own
  expect((await post(b, 'other-key')).status).toBe(202);
}));

test('a client address has one budget across both gateways over Socket.IO', () => cluster.run(async () => {
  const onA = await cluster.watcher([a]);
  const onB = await cluster.watcher([b]);
  const acks: ApplyAck[] = [];
  for (let i = 0; i < PER_MINUTE; i++) acks.push(await (i % 2 === 0 ? onA : onB).apply());
  expect(acks.map((ack) => ack.ok)).toEqual(Array(PER_MINUTE).fill(true));
  expectSocketRateLimited(await onA.apply());
  expectSocketRateLimited(await onB.apply());
  onA.close();
  onB.close();
}));

test('with Redis stopped quoting goes on, and each gateway keeps a budget of its own', () => cluster.run(async () => {
  await cluster.stopRedis('SIGKILL');

  // a key not seen before: each gateway counts it alone, so each gives the whole budget once
  const key = 'outage-key';
  const ids: string[] = [];
  for (const url of [a, b]) {
    const statuses: number[] = [];
    for (let i = 0; i < PER_MINUTE; i++) {
      const res = await post(url, key);
      statuses.push(res.status);
      if (res.status === 202) ids.push(res.json.id as string);
    }
    expect({ url, statuses }).toEqual({ url, statuses: Array(PER_MINUTE).fill(202) });
    expectRateLimited(await post(url, key));
  }
  for (const id of ids) {
    const done = await untilCompleted([a, b], id, DEADLINE_MS + 5_000, key);
    expect(done.quotes.filter((q) => q.status === 'offer').length).toBeGreaterThan(0);
  }

  // a page's client is still served, pushes included (its address used up the shared budget above)
  const client = await cluster.watcher([b]);
  const ack = await client.apply();
  expect(ack).toEqual(expect.objectContaining({ ok: true }));
  await eventually(() => (ack.id && client.completedCount(ack.id) === 1 ? true : undefined), DEADLINE_MS + 5_000, 100, () => `no completed for ${ack.id}`);
  expect(client.events(ack.id as string, 'quote').some((r) => r.data.status === 'offer')).toBe(true);
}));
