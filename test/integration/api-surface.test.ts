/**
 * The parts of the partner API a partner learns from its document: the X-RateLimit-* headers of
 * POST /applications, 405 with Allow from the route table, /api/docs, and the document checker
 * of test/support/openapi.ts (which every request() in the integration tests goes through).
 */
import { todayInMoscow } from '../../lib/dates';
import { PARTNER_ROUTES } from '../../services/gateway/routes';
import { sampleApplication } from '../unit/fixtures/application';
import { expectDocumentedAnswer, OpenApiMismatchError } from '../support/openapi';
import { expectProblem } from '../support/problem';
import { api, startSystem, type ApiAnswer, type RunningSystem } from '../support/system';

const LIMIT = 3;
const OTHER = 'other-key';
const UNUSED = 'unused-key'; // for checks that nothing was counted
const sample = () => JSON.parse(JSON.stringify(sampleApplication(todayInMoscow()))) as Record<string, unknown>;

function rateLimitOf(res: ApiAnswer): { limit: number; remaining: number; reset: number } {
  for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) expect(res.headers.get(name)).toMatch(/^\d+$/);
  return {
    limit: Number(res.headers.get('x-ratelimit-limit')),
    remaining: Number(res.headers.get('x-ratelimit-remaining')),
    reset: Number(res.headers.get('x-ratelimit-reset')),
  };
}

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem({ env: { PARTNER_KEYS: `demo:demo-key,other:${OTHER},unused:${UNUSED}`, RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(async () => {
  await system?.stop();
});

describe('X-RateLimit-* on POST /applications', () => {
  it('202, then 400 (a counted bad application), then 429: the window counts down and Reset is in seconds', async () => {
    const first = await api(system, 'POST', '/api/v1/applications', sample());
    expect(first.status).toBe(202);
    expect(rateLimitOf(first)).toEqual({ limit: LIMIT, remaining: LIMIT - 1, reset: expect.any(Number) });
    expect(rateLimitOf(first).reset).toBeGreaterThanOrEqual(59);
    expect(rateLimitOf(first).reset).toBeLessThanOrEqual(60);

    const bad = await api(system, 'POST', '/api/v1/applications', { ...sample(), policy: { periodMonths: 2 } });
    expectProblem(bad, 400);
    expect(rateLimitOf(bad)).toMatchObject({ limit: LIMIT, remaining: LIMIT - 2 });

    const third = await api(system, 'POST', '/api/v1/applications', sample());
    expect(third.status).toBe(202);
    expect(rateLimitOf(third).remaining).toBe(0);

    const refused = await api(system, 'POST', '/api/v1/applications', sample());
    expectProblem(refused, 429);
    const window = rateLimitOf(refused);
    expect(window).toMatchObject({ limit: LIMIT, remaining: 0 });
    expect(window.reset).toBeGreaterThanOrEqual(1);
    expect(window.reset).toBeLessThanOrEqual(60);
    // Retry-After and Reset tell the same wait
    expect(Number(refused.headers.get('retry-after'))).toBe(Math.max(1, window.reset));
  });

  it('a body that is not JSON is not counted, and still tells a known key its window', async () => {
    const res = await api(system, 'POST', '/api/v1/applications', '{"vehicle":', { key: OTHER });
    expectProblem(res, 400);
    expect(rateLimitOf(res)).toEqual({ limit: LIMIT, remaining: LIMIT, reset: 0 });
    const next = await api(system, 'POST', '/api/v1/applications', sample(), { key: OTHER });
    expect(next.status).toBe(202);
    expect(rateLimitOf(next).remaining).toBe(LIMIT - 1);
  });

  it('the same Idempotency-Key with another body: 409 with the window', async () => {
    const key = `idem-${Date.now()}`;
    const first = await api(system, 'POST', '/api/v1/applications', sample(), { key: OTHER, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(202);
    const conflict = await api(system, 'POST', '/api/v1/applications', { ...sample(), policy: { ...(sample().policy as object), periodMonths: 6 } },
      { key: OTHER, headers: { 'Idempotency-Key': key } });
    expectProblem(conflict, 409);
    expect(rateLimitOf(conflict)).toMatchObject({ limit: LIMIT, remaining: 0 });
  });

  it('an unknown key has no window: 401 without the headers', async () => {
    const res = await api(system, 'POST', '/api/v1/applications', sample(), { key: 'no-such-key' });
    expectProblem(res, 401);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('GET answers carry no rate-limit headers (reads are not limited)', async () => {
    const res = await api(system, 'GET', '/api/v1/applications');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('405 with Allow, from the route table', () => {
  const byPath = new Map<string, string[]>();
  for (const route of PARTNER_ROUTES) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
  const concrete = (path: string) => `/api/v1${path.replace(/:[a-z]+/g, 'some-id')}`;
  const cases = [...byPath].flatMap(([path, methods]) =>
    ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].filter((m) => !methods.includes(m)).map((m) => [m, path, methods] as const));

  it('covers every path of the table, the new events and deliveries routes included', () => {
    expect([...byPath.keys()]).toEqual(expect.arrayContaining(['/applications/:id/events', '/applications/:id/deliveries']));
    expect(cases.length).toBeGreaterThan(byPath.size);
  });

  it.each(cases)('%s %s → 405, Allow: its methods and OPTIONS', async (method, path, methods) => {
    const res = await api(system, method, concrete(path), method === 'GET' || method === 'HEAD' ? undefined : {});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')?.split(', ').sort()).toEqual([...methods, 'OPTIONS'].sort());
    if (method !== 'HEAD') expectProblem(res, 405); // a HEAD answer has no body
  });

  it('405 needs no key, like 404: the method is wrong whoever asks', async () => {
    const res = await api(system, 'DELETE', '/api/v1/applications', undefined, { key: null });
    expectProblem(res, 405);
    expect(res.json.type).toBe('/problems/method-not-allowed');
  });

  it('with a trailing slash and a query the path is the same route', async () => {
    const res = await api(system, 'PUT', '/api/v1/insurers/?x=1', {});
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, OPTIONS');
  });

  it('OPTIONS on a route → 204 with Allow, no key needed', async () => {
    const res = await api(system, 'OPTIONS', '/api/v1/applications', undefined, { key: null });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('POST, GET, OPTIONS');
    expect(res.text).toBe('');
  });

  it('OPTIONS runs no action, even as a preflight for POST with a key (moleculer-web alone would call it)', async () => {
    const preflight: Record<string, string> = { 'Access-Control-Request-Method': 'POST' };
    for (const headers of [{}, preflight]) {
      const res = await api(system, 'OPTIONS', '/api/v1/applications', undefined, { key: UNUSED, headers });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    }
    // a body that is not JSON reads the window without counting: nothing was counted
    const window = await api(system, 'POST', '/api/v1/applications', '{', { key: UNUSED });
    expect(rateLimitOf(window).remaining).toBe(LIMIT);
  });

  it.each(['/api/v1/nothing', '/api/v1/applications/x/quotes', '/api/v1/insurers/x'])('an unknown path stays 404 for any method: DELETE %s', async (path) => {
    const res = await api(system, 'DELETE', path);
    expectProblem(res, 404);
    expect(res.headers.get('allow')).toBeNull();
  });

  it('OPTIONS on an unknown path is 404 too', async () => {
    expect((await api(system, 'OPTIONS', '/api/v1/nothing')).status).toBe(404);
  });
});

describe('/api/docs', () => {
  it('the page answers 200 HTML that loads Swagger UI from the gateway and points it at /api/openapi.json', async () => {
    const page = await fetch(`${system.baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(expect.arrayContaining(['/api/docs/swagger-ui.css', '/api/docs/swagger-ui-bundle.js', '/api/docs/init.js']));
    for (const asset of assets.filter((a) => a.startsWith('/api/docs/'))) {
      const res = await fetch(`${system.baseUrl}${asset}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /^text\/css/ : asset.endsWith('.js') ? /^text\/javascript/ : /^image\/png/);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(asset.endsWith('.png') || asset.endsWith('init.js') ? 50 : 10_000);
    }
    const init = await (await fetch(`${system.baseUrl}/api/docs/init.js`)).text();
    expect(init).toContain('"/api/openapi.json"');
    expect(init).toContain('SwaggerUIBundle');
  });

  it.each(['package.json', 'constructor', '..%2Fpackage.json', 'index.html'])('serves only the page’s own files: /api/docs/%s → 404', async (name) => {
    expect((await fetch(`${system.baseUrl}/api/docs/${name}`)).status).toBe(404);
  });
});

describe('the document checker of the integration tests', () => {
  const headersOf = (res: ApiAnswer, drop: string[] = []) => {
    const copy = new Headers(res.headers);
    for (const name of drop) copy.delete(name);
    return copy;
  };

  it('passes a real answer and refuses it changed: a field missing, a wrong type, a required header gone, an undocumented status', async () => {
    const real = await api(system, 'GET', '/api/v1/applications?page=1&pageSize=1');
    expect(real.status).toBe(200);
    const check = (answer: Partial<ApiAnswer>, route = '/api/v1/applications') =>
      expectDocumentedAnswer(system.baseUrl, 'GET', route, { status: real.status, headers: real.headers, text: real.text, ...answer });
    await expect(check({})).resolves.toBeUndefined();
    const { total: _total, ...withoutTotal } = real.json;
    await expect(check({ text: JSON.stringify(withoutTotal) })).rejects.toThrow(/total/);
    await expect(check({ text: JSON.stringify({ ...real.json, page: '1' }) })).rejects.toThrow(OpenApiMismatchError);
    await expect(check({ status: 418 })).rejects.toThrow(/418 is not documented/);

    const limited = await api(system, 'POST', '/api/v1/applications', sample());
    expect(limited.status).toBe(429); // the first block used the window up
    await expect(expectDocumentedAnswer(system.baseUrl, 'POST', '/api/v1/applications',
      { status: 429, headers: headersOf(limited, ['retry-after']), text: limited.text })).rejects.toThrow(/Retry-After is required/);
  });

  it('a wrong method must be answered 405, and a path that is no route 404', async () => {
    const notFound = await api(system, 'GET', '/api/v1/nothing');
    await expect(expectDocumentedAnswer(system.baseUrl, 'DELETE', '/api/v1/applications', notFound)).rejects.toThrow(/expected 405/);
    await expect(expectDocumentedAnswer(system.baseUrl, 'GET', '/api/v1/nothing', { ...notFound, status: 200 })).rejects.toThrow(/expected 404/);
  });
});
