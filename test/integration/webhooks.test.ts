/**
 * Webhooks (CONTRACT §2) through a real gateway, applications node and sandbox, to a real receiver:
 * signed, retried with the same delivery id, in order, no duplicate after a 2xx, one partner's dead
 * receiver delaying nobody else's, and bad X-Callback-Url values refused naming the header.
 */
import { todayInMoscow } from '../../lib/dates';
import { api, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { eventually } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { sampleApplication } from '../unit/fixtures/application';
import { expectProblem } from '../support/problem';

jest.setTimeout(60_000);

const SECRETS = { demo: 'demo-webhook-secret', other: 'other-webhook-secret-0123' };
let system: RunningSystem;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  system = await startSystem({
    env: {
      PARTNER_KEYS: 'demo:demo-key,other:other-key',
      PARTNER_WEBHOOK_SECRETS: `demo:${SECRETS.demo},other:${SECRETS.other}`,
      WEBHOOK_FIRST_RETRY_MS: '100',
      WEBHOOK_SCAN_MS: '50',
      WEBHOOK_TIMEOUT_MS: '1000',
    },
  });
});

afterAll(async () => {
  await system?.stop();
  for (const receiver of receivers) await receiver.close();
});

async function receiver(options: Parameters<typeof startWebhookReceiver>[0]) {
  const started = await startWebhookReceiver(options);
  receivers.push(started);
  return started;
}

async function submit(callbackUrl: string, key = 'demo-key') {
  const created = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()), { key, headers: { 'X-Callback-Url': callbackUrl } });
  expect(created.status).toBe(202);
  return created.json as { id: string; insurers: Array<{ code: string }> };
}

test('every event is delivered signed, in order, retried under the same id, and never again after a 2xx', async () => {
  const hook = await receiver({ secret: SECRETS.demo, answer: (_attempt, soFar) => (soFar <= 2 ? 503 : 204) });
  const { id, insurers } = await submit(hook.url);
  const events = insurers.length + 1;
  await eventually(() => (hook.succeeded().size === events ? true : undefined), 30_000);
  await waitCompleted(system, id);
  await new Promise((r) => setTimeout(r, 500)); // time for any stray repeat to show

  const mine = hook.attempts.filter((a) => a.body.applicationId === id);
  expect(mine.every((a) => a.signed)).toBe(true);
  expect(mine.every((a) => a.body.id === a.deliveryId)).toBe(true);
  const ok = hook.succeeded();
  const expectedIds = Array.from({ length: events }, (_, n) => `${id}.${n + 1}`);
  expect([...ok.keys()].sort()).toEqual([...expectedIds].sort());
  for (const deliveryId of expectedIds) {
    expect(ok.get(deliveryId)).toHaveLength(1); // no duplicate after success
    expect(mine.filter((a) => a.deliveryId === deliveryId).map((a) => a.answered)).toEqual([503, 503, 204]);
  }
  // in order: each event's success before the next one's first attempt
  const firstAttempt = (d: string) => mine.findIndex((a) => a.deliveryId === d);
  const success = (d: string) => mine.findIndex((a) => a.deliveryId === d && a.answered === 204);
  for (let n = 1; n < events; n++) expect(success(expectedIds[n - 1])).toBeLessThan(firstAttempt(expectedIds[n]));
  // the payloads: quotes (CONTRACT §4) then completed (§3)
  const bodies = expectedIds.map((d) => ok.get(d)?.[0].body);
  expect(bodies.slice(0, -1).every((b) => b?.type === 'quote' && b.data.applicationId === id && b.data.status !== 'pending')).toBe(true);
  expect(new Set(bodies.slice(0, -1).map((b) => (b?.data.insurer as { code: string }).code)).size).toBe(insurers.length);
  expect(bodies.at(-1)).toMatchObject({ type: 'completed', applicationId: id, data: { applicationId: id, status: 'completed' } });
  expect(bodies.every((b) => b && !Number.isNaN(Date.parse(b.createdAt)))).toBe(true);
  expect(JSON.stringify(bodies)).not.toContain('"seq"');

  const deliveries = await api(system, 'GET', `/api/v1/applications/${id}/deliveries`);
  expect(deliveries.status).toBe(200);
  expect(deliveries.json).toHaveLength(events);
  for (const [n, d] of (deliveries.json as Array<Record<string, unknown>>).entries()) {
    expect(d).toMatchObject({ id: expectedIds[n], type: n === events - 1 ? 'completed' : 'quote', attempts: 3, lastStatus: 204, deliveredAt: expect.any(String) });
  }
});

test("a partner whose receiver hangs delays nobody else's deliveries", async () => {
  const dead = await receiver({ secret: SECRETS.other, answer: () => 'hang' });
  const alive = await receiver({ secret: SECRETS.demo });
  // more applications than the partner's lane holds, all stuck on a receiver that never answers
  for (let i = 0; i < 12; i++) await submit(dead.url, 'other-key');
  const { id, insurers } = await submit(alive.url);
  const started = Date.now();
  await eventually(() => (alive.succeeded().size === insurers.length + 1 ? true : undefined), 20_000);
  await waitCompleted(system, id);
  expect(dead.attempts.length).toBeGreaterThan(0);
  // the live partner's last event came with its application's completion, not after the dead one's timeouts
  expect(Date.now() - started).toBeLessThan(15_000);
  const stuck = await api(system, 'GET', `/api/v1/applications/${dead.attempts[0].body.applicationId}/deliveries`, undefined, { key: 'other-key' });
  await eventually(async () => {
    const again = await api(system, 'GET', `/api/v1/applications/${dead.attempts[0].body.applicationId}/deliveries`, undefined, { key: 'other-key' });
    return (again.json as Array<{ lastStatus: unknown }>)[0]?.lastStatus === 'timeout' ? true : undefined;
  }, 10_000);
  expect(stuck.status).toBe(200);
});

test.each([
  ['not a URL', 'not a url'],
  ['ftp', 'ftp://127.0.0.1/hook'],
  ['credentials', 'http://user:pass@127.0.0.1/hook'],
])('X-Callback-Url %s: 400 naming the header, nothing created', async (_case, url) => {
  const before = (await api(system, 'GET', '/api/v1/applications')).json.total as number;
  const refused = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()), { headers: { 'X-Callback-Url': url } });
  expectProblem(refused, 400);
  expect(refused.json.errors).toEqual([expect.objectContaining({ field: 'X-Callback-Url' })]);
  expect((await api(system, 'GET', '/api/v1/applications')).json.total).toBe(before);
});

test("another partner's deliveries are 404, an application without a webhook has none", async () => {
  const hook = await receiver({ secret: SECRETS.demo });
  const { id } = await submit(hook.url);
  expectProblem(await api(system, 'GET', `/api/v1/applications/${id}/deliveries`, undefined, { key: 'other-key' }), 404);
  const plain = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
  const none = await api(system, 'GET', `/api/v1/applications/${plain.json.id}/deliveries`);
  expect(none.status).toBe(200);
  expect(none.json).toEqual([]);
});
