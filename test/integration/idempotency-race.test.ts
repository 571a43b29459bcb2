/**
 * Idempotency-Key under concurrency (CONTRACT §2): many requests with one key at the same moment.
 * With the same body: one application, and every answer is that application's. With different
 * bodies: one application, every other request `409`. "One application" is checked from both
 * ends: the partner's list, and the insurers (the sandbox saw creates for that application only).
 */
import { todayInMoscow } from '../../lib/dates';
import type { Application } from '../../lib/application/types';
import { sampleApplication } from '../unit/fixtures/application';
import { expectProblem } from '../support/problem';
import { api, startSystem, waitCompleted, type ApiAnswer, type RunningSystem } from '../support/system';

jest.setTimeout(60_000);

const CONCURRENT = 40;
const SAME_BODY = { partner: 'idem-same', key: 'idem-same-key' };
const OTHER_BODIES = { partner: 'idem-other', key: 'idem-other-key' };

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem({
    env: {
      PARTNER_KEYS: [SAME_BODY, OTHER_BODIES].map((p) => `${p.partner}:${p.key}`).join(','),
      RATE_LIMIT_PER_MINUTE: '100000',
      QUOTE_DEADLINE_MS: '4000',
    },
  });
});

afterAll(async () => {
  await system?.stop();
});

interface SandboxCounters {
  code: string;
  creates: number;
  duplicateCreates: number;
}

/** The sandbox's own counters, over its HTTP control API (CONTRACT §6). */
async function sandboxCounters(): Promise<SandboxCounters[]> {
  const res = await fetch(`${system.sandboxUrl}/sandbox/insurers`);
  expect(res.status).toBe(200);
  return (await res.json()) as SandboxCounters[];
}

async function sandboxRecordsOf(applicationId: string): Promise<unknown[]> {
  const res = await fetch(`${system.sandboxUrl}/sandbox/quotes?applicationId=${encodeURIComponent(applicationId)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as unknown[];
}

const sum = (list: SandboxCounters[], field: 'creates' | 'duplicateCreates') => list.reduce((n, i) => n + i[field], 0);

/** Every application the partner has: the list's total and the ids on its first page. */
async function partnerApplications(key: string): Promise<{ total: number; ids: string[] }> {
  const res = await api(system, 'GET', '/api/v1/applications?pageSize=100', undefined, { key });
  expect(res.status).toBe(200);
  return { total: res.json.total, ids: (res.json.items as Array<{ id: string }>).map((a) => a.id) };
}

function post(key: string, idempotencyKey: string, body: Application): Promise<ApiAnswer> {
  return api(system, 'POST', '/api/v1/applications', body, { key, headers: { 'Idempotency-Key': idempotencyKey } });
}

/** After the one application is over: the insurers were asked for it, and for nothing else, once. */
async function expectOnlyThisOneQuoted(key: string, id: string, before: SandboxCounters[]): Promise<void> {
  await waitCompleted(system, id, 15_000, 50, key);
  const after = await sandboxCounters();
  const records = await sandboxRecordsOf(id);
  expect(records.length).toBeGreaterThan(0);
  expect(sum(after, 'creates') - sum(before, 'creates')).toBe(records.length);
  expect(sum(after, 'duplicateCreates') - sum(before, 'duplicateCreates')).toBe(0);
}

test(`${CONCURRENT} requests at once with one key and one body: one application, every answer its own`, async () => {
  const { key } = SAME_BODY;
  const body = sampleApplication(todayInMoscow());
  const before = await sandboxCounters();

  const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post(key, 'order-1', body)));

  for (const res of answers) expect(res.status).toBe(202);
  const first = answers[0].json;
  expect(first).toMatchObject({ id: expect.any(String), token: expect.any(String), status: 'quoting' });
  for (const res of answers) expect(res.json).toEqual(first);
  expect(await partnerApplications(key)).toEqual({ total: 1, ids: [first.id] });
  await expectOnlyThisOneQuoted(key, first.id, before);
});

test(`${CONCURRENT} requests at once with one key and different bodies: one application, the others 409`, async () => {
  const { key } = OTHER_BODIES;
  const bodies = Array.from({ length: CONCURRENT }, (_, i) => {
    const body = sampleApplication(todayInMoscow());
    body.vehicle.enginePowerHp = 70 + i; // a different body each, every one valid
    return body;
  });
  const before = await sandboxCounters();

  const answers = await Promise.all(bodies.map((body) => post(key, 'order-2', body)));

  const accepted = answers.filter((res) => res.status === 202);
  expect(accepted).toHaveLength(1);
  for (const res of answers.filter((r) => r !== accepted[0])) expectProblem(res, 409);
  const winner = accepted[0].json;
  const winnerBody = bodies[answers.indexOf(accepted[0])];

  // the key still answers for the first body only
  const again = await post(key, 'order-2', winnerBody);
  expect(again.status).toBe(202);
  expect(again.json).toEqual(winner);
  expectProblem(await post(key, 'order-2', bodies.find((b) => b !== winnerBody) as Application), 409);
  await expectOnlyThisOneQuoted(key, winner.id, before);

  // a request that loses the race to record the key with a different body has already stored its
  // application: it must remove it before answering 409 (it once did not, and every loser left one)
  expect(await partnerApplications(key)).toEqual({ total: 1, ids: [winner.id] });
});
