/**
 * The partner REST API of CONTRACT §2 over real HTTP: keys, routes, the shapes of every answer
 * (§4 Quote included), partner isolation, pagination, idempotency and the rate limit.
 */
import crypto from 'node:crypto';
import { todayInMoscow } from '../../lib/dates';
import { sampleApplication } from '../unit/fixtures/application';
import { PROBLEM_JSON, expectProblem } from '../support/problem';
import { api, DEMO_KEY, sandboxCalls, startSystem, waitCompleted, type ApiAnswer, type RunningSystem } from '../support/system';
import { clockPast } from '../support/wait';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

interface InsurerRef {
  code: string;
  name: string;
}

const DEMO = DEMO_KEY; // api() sends it unless told otherwise
const OTHER = 'other-key';
const PARTNER_KEYS = `demo:${DEMO},other:${OTHER}`;

const JSON_TYPE = /^application\/json\b/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const QUOTE_STATUSES = ['pending', 'offer', 'declined', 'failed', 'unavailable', 'timeout'];
const FINAL_STATUSES = QUOTE_STATUSES.filter((s) => s !== 'pending');
const CIRCUIT_STATES = ['closed', 'open', 'half-open'];

function sample(change: (app: Json) => void = () => undefined): Json {
  const app = JSON.parse(JSON.stringify(sampleApplication(todayInMoscow()))) as Json;
  change(app);
  return app;
}

function expectInstant(value: unknown): number {
  expect(typeof value).toBe('string');
  expect(value).toMatch(ISO_INSTANT);
  const ms = Date.parse(value as string);
  expect(Number.isNaN(ms)).toBe(false);
  return ms;
}

/** The Quote of CONTRACT §4. */
function expectQuote(quote: Json, applicationId: string, insurers: InsurerRef[], createdAtMs: number): void {
  expect(quote.applicationId).toBe(applicationId);
  expect(insurers).toContainEqual(quote.insurer);
  expect(QUOTE_STATUSES).toContain(quote.status);
  expect(expectInstant(quote.at)).toBeGreaterThanOrEqual(createdAtMs);
  if (quote.status === 'offer') {
    expect(typeof quote.premium).toBe('number');
    expect(quote.premium).toBeGreaterThan(0);
    expect(String(quote.premium)).toMatch(/^\d+(\.\d{1,2})?$/); // roubles with at most two decimals
    expect(quote.offer).toEqual(expect.objectContaining({ id: expect.any(String), validUntil: expect.any(String), coefficients: expect.any(Object) }));
    expect(quote).not.toHaveProperty('reason');
  } else {
    expect(quote).not.toHaveProperty('premium');
    expect(quote).not.toHaveProperty('offer');
  }
  if (quote.status !== 'offer' && quote.status !== 'pending') {
    expect(typeof quote.reason).toBe('string');
    expect(quote.reason.trim().length).toBeGreaterThan(0);
  }
}

/** bestOffer is the offer with the lowest premium, or absent when there is no offer. */
function expectBestOffer(view: Json): void {
  const offers = (view.quotes as Json[]).filter((q) => q.status === 'offer');
  if (offers.length === 0) {
    expect(view.bestOffer).toBeUndefined();
    return;
  }
  const lowest = Math.min(...offers.map((q) => q.premium as number));
  expect(view.bestOffer).toBeDefined();
  expect(view.bestOffer.premium).toBe(lowest);
  expect(offers).toContainEqual(view.bestOffer);
}

/** The list answer: the contract says "paginated" without fixing the envelope. */
function itemsOf(res: ApiAnswer): Json[] {
  const items: unknown = Array.isArray(res.json) ? res.json : res.json.items;
  expect(Array.isArray(items)).toBe(true);
  return items as Json[];
}

/** What the store holds for `partner`, asked of the applications service itself (not through the gateway). */
async function storedCount(system: RunningSystem, partner: string): Promise<number> {
  const page = await system.broker.call<{ total: number }, { partner: string; pageSize: number }>('applications.list', { partner, pageSize: 1 });
  return page.total;
}

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem({ env: { PARTNER_KEYS } });
});
afterAll(async () => {
  await system?.stop();
});

describe('authentication', () => {
  const someId = crypto.randomUUID();
  const routes: Array<[string, string, unknown]> = [
    ['POST', '/api/v1/applications', 'sample'],
    ['GET', '/api/v1/applications', undefined],
    ['GET', '/api/v1/applications?page=1&pageSize=5', undefined],
    ['GET', `/api/v1/applications/${someId}`, undefined],
    ['GET', '/api/v1/insurers', undefined],
  ];
  const keys: Array<[string, string | null]> = [
    ['no X-Api-Key', null],
    ['an empty X-Api-Key', ''],
    ['an unknown X-Api-Key', 'no-such-key'],
    ['a known key in another case', DEMO.toUpperCase()],
    ['a partner name instead of its key', 'demo'],
  ];
  const table = routes.flatMap(([method, route, body]) => keys.map(([what, key]) => [method, route, what, key, body] as const));

  it.each(table)('%s %s with %s → 401 problem+json', async (method, route, _what, key, body) => {
    const res = await api(system, method, route, body === 'sample' ? sample() : body, { key });
    expectProblem(res, 401);
  });

  it('a refused POST created nothing and asked no insurer', async () => {
    expect(await storedCount(system, 'demo')).toBe(0);
    const insurers = sandboxCalls(system);
    expect(insurers.length).toBeGreaterThan(0);
    expect(insurers.filter((i) => i.calls !== 0)).toEqual([]);
  });

  it('GET /api/v1/health needs no key', async () => {
    const res = await api(system, 'GET', '/api/v1/health', undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
    expect(res.json).toMatchObject({ status: 'ok' });
  });

  it('GET /api/v1/health ignores an unknown key', async () => {
    const res = await api(system, 'GET', '/api/v1/health', undefined, { key: 'no-such-key' });
    expect(res.status).toBe(200);
  });

  it('GET /api/openapi.json needs no key and describes the partner API', async () => {
    const res = await api(system, 'GET', '/api/openapi.json', undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
    expect(res.json.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(Object.keys(res.json.paths)).toEqual(expect.arrayContaining(['/applications', '/applications/{id}', '/insurers', '/health']));
    expect(res.json.paths['/applications']).toEqual(expect.objectContaining({ post: expect.any(Object), get: expect.any(Object) }));
    expect(res.json.paths['/applications/{id}']).toEqual(expect.objectContaining({ get: expect.any(Object) }));
  });

  it("the document's example application, copied as it is, is accepted today (202), its policy starting tomorrow", async () => {
    const doc = (await api(system, 'GET', '/api/openapi.json', undefined, { key: null })).json;
    const example = doc.paths['/applications'].post.requestBody.content['application/json'].example;
    expect(doc.components.schemas.Application.examples).toEqual([example]);
    expect(example.policy.startDate > todayInMoscow()).toBe(true);
    const res = await api(system, 'POST', '/api/v1/applications', example);
    expect(res.status).toBe(202);
    await waitCompleted(system, res.json.id);
  });
});

describe('routing', () => {
  it.each<[string, string]>([
    ['GET', '/api/v1/no-such-route'],
    ['GET', '/api/v1/applications/x/quotes'],
    ['GET', '/api/v2/applications'],
    ['POST', '/api/v1/no-such-route'],
  ])('%s %s → 404', async (method, route) => {
    const res = await api(system, method, route, method === 'POST' ? {} : undefined);
    expect(res.status).toBe(404);
  });

  it('an unknown route under /api/v1 answers problem+json', async () => {
    expectProblem(await api(system, 'GET', '/api/v1/no-such-route'), 404);
  });

  it.each(['/api/v1', '/api/v1/', '/api/v1/index.html', '/api/v1/app.js'])('%s is an API path, never the page: 404 with or without a key', async (route) => {
    expectProblem(await api(system, 'GET', route), 404);
    const anonymous = await fetch(`${system.baseUrl}${route}`);
    expect(anonymous.status).toBe(404);
    expect(anonymous.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it.each<[string, string]>([
    ['DELETE', '/api/v1/applications'],
    ['PUT', '/api/v1/insurers'],
    ['PATCH', '/api/v1/health'],
  ])('%s %s (a method the route lacks) → 405 problem+json with Allow', async (method, route) => {
    const res = await api(system, method, route);
    expectProblem(res, 405);
    expect(res.headers.get('allow')).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
  });

  it.each<[string, string]>([
    ['an unknown UUID', crypto.randomUUID()],
    ['a word', 'nothing-here'],
    ['an id of 300 characters', 'a'.repeat(300)],
    ['an encoded path', '%2E%2E%2Fhealth'],
    ['a Mongo-ish operator', '%7B%22%24ne%22%3A1%7D'],
  ])('GET /api/v1/applications/{id} with %s → 404 problem+json', async (_what, id) => {
    expectProblem(await api(system, 'GET', `/api/v1/applications/${id}`), 404);
  });
});

describe('one application from POST to completion', () => {
  let created: Json;
  let createdAtMs: number;
  let postedAtMs: number;
  let answeredAtMs: number;

  beforeAll(async () => {
    postedAtMs = Date.now();
    const res = await api(system, 'POST', '/api/v1/applications', sample());
    answeredAtMs = Date.now();
    expect(res.status).toBe(202);
    created = res.json;
  });

  it('POST /applications → 202 { id, token, status: "quoting", createdAt, deadline, insurers }', async () => {
    expect(created).toEqual({
      id: expect.any(String),
      token: expect.any(String),
      status: 'quoting',
      createdAt: expect.any(String),
      deadline: expect.any(String),
      insurers: expect.any(Array),
    });
    expect(created.id.length).toBeGreaterThan(0);
    expect(created.token.length).toBeGreaterThanOrEqual(16);
    createdAtMs = expectInstant(created.createdAt);
    // made while the request was under way (the system runs in this process, on this clock)
    expect(createdAtMs).toBeGreaterThanOrEqual(postedAtMs);
    expect(createdAtMs).toBeLessThanOrEqual(answeredAtMs);
    expect(expectInstant(created.deadline) - createdAtMs).toBe(system.config.quoteDeadlineMs);
    expect(created.insurers.length).toBeGreaterThan(0);
    for (const insurer of created.insurers as Json[]) expect(insurer).toEqual({ code: expect.any(String), name: expect.any(String) });
    const codes = (created.insurers as InsurerRef[]).map((i) => i.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('the 202 answer is JSON', async () => {
    const res = await api(system, 'POST', '/api/v1/applications', sample());
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
    expect(res.json.id).not.toBe(created.id);
    expect(res.json.token).not.toBe(created.token);
  });

  it('GET /applications/{id} → 200 { id, status, createdAt, deadline, quotes } with a Quote per insurer', async () => {
    const res = await api(system, 'GET', `/api/v1/applications/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
    const view = res.json;
    expect(view).toMatchObject({ id: created.id, createdAt: created.createdAt, deadline: created.deadline });
    expect(['quoting', 'completed']).toContain(view.status);
    expect(Array.isArray(view.quotes)).toBe(true);
    expect((view.quotes as Json[]).map((q) => q.insurer.code).sort()).toEqual((created.insurers as InsurerRef[]).map((i) => i.code).sort());
    for (const quote of view.quotes as Json[]) expectQuote(quote, created.id, created.insurers, createdAtMs);
    expectBestOffer(view);
  });

  it('once completed: completedAt, every quote final and of the §4 shape, bestOffer the cheapest offer', async () => {
    const view = await waitCompleted(system, created.id, 15_000);
    expect(view).toMatchObject({ id: created.id, status: 'completed', createdAt: created.createdAt, deadline: created.deadline });
    const completedAtMs = expectInstant(view.completedAt);
    expect(completedAtMs).toBeGreaterThanOrEqual(createdAtMs);
    expect(completedAtMs).toBeLessThanOrEqual(Date.parse(created.deadline) + 1000);
    const quotes = view.quotes as Json[];
    expect(quotes.map((q) => q.insurer.code).sort()).toEqual((created.insurers as InsurerRef[]).map((i) => i.code).sort());
    for (const quote of quotes) {
      expect(FINAL_STATUSES).toContain(quote.status);
      expectQuote(quote, created.id, created.insurers, createdAtMs);
      expect(Date.parse(quote.at)).toBeLessThanOrEqual(completedAtMs);
    }
    // the sandbox runs every insurer in normal mode: most of them make an offer for the sample
    expect(quotes.filter((q) => q.status === 'offer').length).toBeGreaterThan(0);
    expectBestOffer(view);
  });

  it("another partner's application is 404 to them, and still 200 to its owner", async () => {
    expectProblem(await api(system, 'GET', `/api/v1/applications/${created.id}`, undefined, { key: OTHER }), 404);
    expect((await api(system, 'GET', `/api/v1/applications/${created.id}`)).status).toBe(200);
  });

  it('an existing application with an unknown key → 401, not its data', async () => {
    const res = await api(system, 'GET', `/api/v1/applications/${created.id}`, undefined, { key: 'no-such-key' });
    expectProblem(res, 401);
    expect(res.text).not.toContain(created.token);
  });

  it('GET /insurers → code, name and a circuit state for every insurer of the POST answer', async () => {
    const res = await api(system, 'GET', '/api/v1/insurers');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
    expect(Array.isArray(res.json)).toBe(true);
    const list = res.json as unknown as Json[];
    for (const insurer of created.insurers as InsurerRef[]) {
      const entry = list.find((e) => e.code === insurer.code);
      expect(entry).toBeDefined();
      expect(entry).toMatchObject({ code: insurer.code, name: insurer.name });
      expect(CIRCUIT_STATES).toContain(entry?.state);
    }
    for (const entry of list) expect(CIRCUIT_STATES).toContain(entry.state);
  });
});

// Found by this block, fixed in 56f617a: the embedded store's find() took `sort` only as a list
// of field names, so an object sort made every GET /applications a 500.
describe('GET /applications: this partner’s applications, newest first, paginated', () => {
  const demoIds: string[] = [];
  const otherIds: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 4; i += 1) {
      const res = await api(system, 'POST', '/api/v1/applications', sample());
      expect(res.status).toBe(202);
      demoIds.push(res.json.id);
      await clockPast(Date.parse(res.json.createdAt)); // distinct creation instants, so "newest first" is one order
    }
    for (let i = 0; i < 2; i += 1) {
      const res = await api(system, 'POST', '/api/v1/applications', sample(), { key: OTHER });
      expect(res.status).toBe(202);
      otherIds.push(res.json.id);
      await clockPast(Date.parse(res.json.createdAt));
    }
  });

  it('answers 200 JSON', async () => {
    const res = await api(system, 'GET', '/api/v1/applications');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(JSON_TYPE);
  });

  it('lists the newest first, every one of this partner’s and none of the other’s', async () => {
    const res = await api(system, 'GET', '/api/v1/applications?page=1&pageSize=100');
    expect(res.status).toBe(200);
    const items = itemsOf(res);
    const ids = items.map((a) => a.id as string);
    for (const id of demoIds) expect(ids).toContain(id);
    for (const id of otherIds) expect(ids).not.toContain(id);
    // the four made above are the newest, in reverse order of creation
    expect(ids.slice(0, 4)).toEqual([...demoIds].reverse());
    const created = items.map((a) => Date.parse(a.createdAt));
    for (let i = 1; i < created.length; i += 1) expect(created[i]).toBeLessThanOrEqual(created[i - 1]);
    for (const item of items) {
      expect(item).toEqual(expect.objectContaining({ id: expect.any(String), status: expect.any(String), createdAt: expect.any(String), deadline: expect.any(String) }));
    }
  });

  it('the other partner sees only its own', async () => {
    const res = await api(system, 'GET', '/api/v1/applications?pageSize=100', undefined, { key: OTHER });
    expect(res.status).toBe(200);
    expect(itemsOf(res).map((a) => a.id).sort()).toEqual([...otherIds].sort());
  });

  it('pages split the same order without overlap (?page=&pageSize=)', async () => {
    const all = itemsOf(await api(system, 'GET', '/api/v1/applications?page=1&pageSize=100')).map((a) => a.id);
    expect(all.length).toBeGreaterThanOrEqual(4);
    const first = await api(system, 'GET', '/api/v1/applications?page=1&pageSize=2');
    const second = await api(system, 'GET', '/api/v1/applications?page=2&pageSize=2');
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const page1 = itemsOf(first).map((a) => a.id);
    const page2 = itemsOf(second).map((a) => a.id);
    expect(page1).toHaveLength(2);
    expect(page2).toHaveLength(2);
    expect([...page1, ...page2]).toEqual(all.slice(0, 4));
    const beyond = await api(system, 'GET', `/api/v1/applications?page=${all.length + 1}&pageSize=1`);
    expect(beyond.status).toBe(200);
    expect(itemsOf(beyond)).toEqual([]);
  });

  it.each<[string]>([['page=0'], ['page=-1'], ['page=abc'], ['pageSize=0'], ['pageSize=100000'], ['pageSize=2.5'], ['page=1e9999']])(
    'a malformed ?%s → 4xx problem+json, never a 5xx',
    async (query) => {
      const res = await api(system, 'GET', `/api/v1/applications?${query}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    },
  );
});

describe('Idempotency-Key', () => {
  it('the same key and body twice → the identical first answer, and one application', async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const body = sample();
    const before = await storedCount(system, 'demo');
    const first = await api(system, 'POST', '/api/v1/applications', body, { headers: { 'Idempotency-Key': key } });
    const second = await api(system, 'POST', '/api/v1/applications', body, { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.json).toEqual(first.json);
    expect(second.json.id).toBe(first.json.id);
    expect(second.json.token).toBe(first.json.token);
    expect(await storedCount(system, 'demo')).toBe(before + 1);
  });

  it('the same body with its keys in another order is the same body', async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const body = sample();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const first = await api(system, 'POST', '/api/v1/applications', body, { headers: { 'Idempotency-Key': key } });
    const second = await api(system, 'POST', '/api/v1/applications', reordered, { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.json).toEqual(first.json);
  });

  it('the same key with a different body → 409 problem+json, and the first answer still stands', async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const body = sample();
    const first = await api(system, 'POST', '/api/v1/applications', body, { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(202);
    const before = await storedCount(system, 'demo');
    const changed = sample((a) => void (a.policy.periodMonths = 6));
    expectProblem(await api(system, 'POST', '/api/v1/applications', changed, { headers: { 'Idempotency-Key': key } }), 409);
    expect(await storedCount(system, 'demo')).toBe(before);
    const again = await api(system, 'POST', '/api/v1/applications', body, { headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(202);
    expect(again.json).toEqual(first.json);
  });

  it('the same key from another partner is independent', async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const demo = await api(system, 'POST', '/api/v1/applications', sample(), { headers: { 'Idempotency-Key': key } });
    // another partner, the same key, even a different body: no conflict, a new application
    const otherBody = sample((a) => void (a.policy.periodMonths = 6));
    const other = await api(system, 'POST', '/api/v1/applications', otherBody, { key: OTHER, headers: { 'Idempotency-Key': key } });
    expect(demo.status).toBe(202);
    expect(other.status).toBe(202);
    expect(other.json.id).not.toBe(demo.json.id);
    expect(other.json.token).not.toBe(demo.json.token);
    // and each partner's replay gets its own first answer
    const otherAgain = await api(system, 'POST', '/api/v1/applications', otherBody, { key: OTHER, headers: { 'Idempotency-Key': key } });
    expect(otherAgain.json).toEqual(other.json);
    const demoAgain = await api(system, 'POST', '/api/v1/applications', sample(), { headers: { 'Idempotency-Key': key } });
    expect(demoAgain.json).toEqual(demo.json);
    // the other partner's application is theirs alone
    expectProblem(await api(system, 'GET', `/api/v1/applications/${other.json.id}`), 404);
  });

  it('two concurrent requests with the same key and body make one application', async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const body = sample();
    const before = await storedCount(system, 'demo');
    const [a, b] = await Promise.all([
      api(system, 'POST', '/api/v1/applications', body, { headers: { 'Idempotency-Key': key } }),
      api(system, 'POST', '/api/v1/applications', body, { headers: { 'Idempotency-Key': key } }),
    ]);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.json).toEqual(a.json);
    expect(await storedCount(system, 'demo')).toBe(before + 1);
  });
});

describe('rate limit (RATE_LIMIT_PER_MINUTE=3)', () => {
  let limited: RunningSystem;

  beforeAll(async () => {
    limited = await startSystem({ env: { PARTNER_KEYS, RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('the 4th POST within a minute → 429 problem+json with Retry-After in whole seconds', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await api(limited, 'POST', '/api/v1/applications', sample());
      expect(res.status).toBe(202);
    }
    const fourth = await api(limited, 'POST', '/api/v1/applications', sample());
    expectProblem(fourth, 429);
    const retryAfter = fourth.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(await storedCount(limited, 'demo')).toBe(3);
  });

  it.each<[string, string]>([
    ['a bad application', JSON.stringify(sample((a) => void (a.vehicle.vin = 'short')))],
    ['a body that is not JSON', '{"vehicle":'],
    ['an empty object', '{}'],
  ])('%s beyond the limit → 429 or 400, never a 5xx', async (_what, body) => {
    const res = await api(limited, 'POST', '/api/v1/applications', body);
    expect([400, 429]).toContain(res.status);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
  });

  it('the limit is per partner key: the other partner can still apply', async () => {
    const res = await api(limited, 'POST', '/api/v1/applications', sample(), { key: OTHER });
    expect(res.status).toBe(202);
  });

  it('reads are not new applications: GET routes still answer', async () => {
    expect((await api(limited, 'GET', '/api/v1/insurers')).status).toBe(200);
    expect((await api(limited, 'GET', '/api/v1/health', undefined, { key: null })).status).toBe(200);
  });
});
