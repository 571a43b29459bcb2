/** The insurer sandbox over real HTTP, spoken to through the client adapters. */
import type { Application } from '../../lib/application/types';
import { todayInMoscow } from '../../lib/dates';
import type { CreateOutcome, InsurerHttpRequest, PollOutcome } from '../../lib/insurers/adapter';
import { INSURERS, type InsurerDefinition } from '../../lib/insurers/catalog';
import { adapterFor } from '../../lib/insurers/dialects';
import { baseRateCorridor, quoteApplication } from '../../lib/tariff';
import { baseRateFor, createSandbox, profileFor, underwrite, type Sandbox } from '../../sandbox';
import { sampleApplication } from '../unit/fixtures/application';

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

let sandbox: Sandbox;
let base: string;

beforeAll(async () => {
  sandbox = createSandbox({ latencyScale: 0.01, transientErrors: false, random: seeded(20261122) });
  base = `http://127.0.0.1:${await sandbox.listen(0)}`;
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const byCode = (code: string) => INSURERS.find((i) => i.code === code) as InsurerDefinition;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function http(method: string, path: string, body?: string): Promise<Answer> {
  const res = await fetch(base + path, { method, body, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } });
  const text = await res.text();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

function send(code: string, req: InsurerHttpRequest): Promise<Answer> {
  return http(req.method, `/insurers/${code}${req.path}`, req.body === undefined ? undefined : JSON.stringify(req.body));
}

async function create(def: InsurerDefinition, application: Application): Promise<CreateOutcome> {
  const answer = await send(def.code, adapterFor(def.dialect).createRequest(application, `it-${def.code}`));
  expect(answer.status).toBeGreaterThanOrEqual(200);
  expect(answer.status).toBeLessThan(300);
  return adapterFor(def.dialect).parseCreated(answer.body);
}

async function poll(def: InsurerDefinition, externalId: string): Promise<PollOutcome> {
  const answer = await send(def.code, adapterFor(def.dialect).pollRequest(externalId));
  expect(answer.status).toBe(200);
  return adapterFor(def.dialect).parsePoll(answer.body);
}

async function pollUntilFinal(def: InsurerDefinition, externalId: string): Promise<PollOutcome> {
  const giveUp = Date.now() + 5000;
  for (;;) {
    const outcome = await poll(def, externalId);
    if (outcome.kind !== 'processing') return outcome;
    if (Date.now() > giveUp) throw new Error(`${def.code} never answered`);
    await sleep(Math.max(5, outcome.retryAfterMs ?? 20));
  }
}

/**
 * The sample with its VIN varied until the insurer's own underwriting gives the wanted verdict;
 * declines are a deterministic hash of the vehicle and licences, so this always finds the same one.
 */
function applicationFor(code: string, verdict: 'offer' | 'create' | 'poll', tweak: (a: Application) => Application = (a) => a): Application {
  for (let i = 0; i < 500; i++) {
    const sample = tweak(sampleApplication(todayInMoscow()));
    const a = { ...sample, vehicle: { ...sample.vehicle, vin: `XTA219010K0${String(i).padStart(6, '0')}` } };
    const d = underwrite(code, profileFor(code), a);
    if ((d?.at ?? 'offer') === verdict) return a;
  }
  throw new Error(`no ${verdict} variant for ${code}`);
}

describe('quoting through every insurer', () => {
  it('each one creates, answers, and prices by the formula with its own base rate', async () => {
    const premiums = await Promise.all(
      INSURERS.map(async (def) => {
        const application = applicationFor(def.code, 'offer');
        const created = await create(def, application);
        if (created.kind !== 'accepted') throw new Error(`${def.code} declined at create`);
        expect(created.retryAfterMs).toBeGreaterThanOrEqual(0);
        const outcome = await pollUntilFinal(def, created.externalId);
        if (outcome.kind !== 'offer') throw new Error(`${def.code}: ${JSON.stringify(outcome)}`);

        const start = application.policy.startDate;
        const expected = quoteApplication(application, baseRateFor(profileFor(def.code), start));
        expect(outcome.premium).toBe(expected.premium);
        expect(outcome.coefficients).toEqual(expected.coefficients);

        const { min, max } = baseRateCorridor(start);
        const c = outcome.coefficients;
        expect(c.tb).toBeGreaterThanOrEqual(min);
        expect(c.tb).toBeLessThanOrEqual(max);
        const rest = c.kt * c.kbm * c.kvs * c.ko * c.km * c.ks * c.kn * c.kpr;
        expect(outcome.premium).toBeGreaterThanOrEqual(Math.floor(min * rest * 100) / 100);
        expect(outcome.premium).toBeLessThanOrEqual(Math.ceil(max * rest * 100) / 100);
        expect(Number(outcome.premium.toFixed(2))).toBe(outcome.premium);

        expect(outcome.offerId).not.toBe('');
        const validFor = Date.parse(outcome.validUntil) - Date.now();
        expect(validFor).toBeGreaterThan(2.9 * 86_400_000);
        expect(validFor).toBeLessThan(3.1 * 86_400_000);
        return outcome.premium;
      }),
    );
    // each company picks its own ТБ, so the same application gets different prices
    expect(new Set(premiums).size).toBeGreaterThanOrEqual(6);
  });

  it('the same application is treated the same way every time', async () => {
    const def = byCode('sever-shield');
    const application = applicationFor(def.code, 'offer');
    const prices = [];
    for (let i = 0; i < 2; i++) {
      const created = await create(def, application);
      if (created.kind !== 'accepted') throw new Error('declined');
      const outcome = await pollUntilFinal(def, created.externalId);
      prices.push(outcome.kind === 'offer' ? outcome.premium : outcome.kind);
    }
    expect(prices[0]).toBe(prices[1]);
  });
});

describe('declines', () => {
  it('polar-mayak refuses a region at create', async () => {
    const application = sampleApplication(todayInMoscow());
    application.owner.registrationRegion = '05';
    const outcome = await create(byCode('polar-mayak'), application);
    expect(outcome).toEqual({ kind: 'declined', reason: expect.stringContaining('05') });
  });

  it('tikhiy-bereg (snake) refuses some powerful cars at create', async () => {
    const application = applicationFor('tikhiy-bereg', 'create', (a) => ({ ...a, vehicle: { ...a.vehicle, enginePowerHp: 250 } }));
    expect(await create(byCode('tikhiy-bereg'), application)).toMatchObject({ kind: 'declined', reason: expect.stringMatching(/200/) });
  });

  it('tri-kita accepts, then refuses some powerful cars when polled', async () => {
    const def = byCode('tri-kita');
    const application = applicationFor(def.code, 'poll', (a) => ({ ...a, vehicle: { ...a.vehicle, enginePowerHp: 250 } }));
    const created = await create(def, application);
    if (created.kind !== 'accepted') throw new Error('declined at create');
    expect(await pollUntilFinal(def, created.externalId)).toMatchObject({ kind: 'declined', reason: expect.any(String) });
  });

  it('uralsky-utyos (legacy) refuses some young drivers when polled', async () => {
    const def = byCode('uralsky-utyos');
    const application = applicationFor(def.code, 'poll', (a) => ({
      ...a,
      drivers: [{ ...a.drivers[0], birthDate: '2005-01-10', license: { ...a.drivers[0].license, issuedAt: '2023-02-01' }, experienceSince: '2023-02-01' }],
    }));
    const created = await create(def, application);
    if (created.kind !== 'accepted') throw new Error('declined at create');
    expect(await pollUntilFinal(def, created.externalId)).toMatchObject({ kind: 'declined', reason: expect.stringMatching(/22/) });
  });
});

describe('bad requests', () => {
  it.each(['sever-shield', 'tikhiy-bereg', 'uralsky-utyos', 'baikal-volna'])('%s: malformed create → 400, unknown id → 404', async (code) => {
    const def = byCode(code);
    const adapter = adapterFor(def.dialect);
    const path = adapter.createRequest(sampleApplication(todayInMoscow()), 'x').path;
    expect((await http('POST', `/insurers/${code}${path}`, '{oops')).status).toBe(400);
    expect((await http('POST', `/insurers/${code}${path}`, '{"vehicle": 1}')).status).toBe(400);
    expect((await send(code, adapter.pollRequest('no-such-id'))).status).toBe(404);
  });

  it('an application the formula cannot price is a 400, not a 5xx', async () => {
    const application = sampleApplication(todayInMoscow());
    // twenty years old with ten years of experience: the КВС table has no such cell
    application.drivers[0] = { ...application.drivers[0], birthDate: '2006-01-01', experienceSince: '2015-01-01' };
    const answer = await send('sever-shield', adapterFor('standard').createRequest(application, 'x'));
    expect(answer.status).toBe(400);
  });

  it('unknown routes and insurers are 404 JSON; a huge body is 413', async () => {
    expect((await http('GET', '/nope')).status).toBe(404);
    expect((await http('GET', '/insurers/nobody/applications/1')).status).toBe(404);
    expect((await http('GET', '/insurers/sever-shield/quotes')).status).toBe(404);
    expect((await http('GET', '/sandbox/nothing')).status).toBe(404);
    expect((await http('POST', '/insurers/sever-shield/applications', `"${'x'.repeat(300_000)}"`)).status).toBe(413);
  });
});

describe('modes', () => {
  const def = byCode('sever-shield');
  const setMode = (code: string, mode: string) => http('PUT', `/sandbox/insurers/${code}/mode`, JSON.stringify({ mode }));

  it('down: 503 with Retry-After to every call, at once', async () => {
    expect(await setMode(def.code, 'down')).toMatchObject({ status: 200, body: { code: def.code, mode: 'down' } });
    const created = await send(def.code, adapterFor(def.dialect).createRequest(sampleApplication(todayInMoscow()), 'x'));
    const polled = await send(def.code, adapterFor(def.dialect).pollRequest('whatever'));
    for (const answer of [created, polled]) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
    }
  });

  it('slow: accepts, then says processing however long one waits; normal releases it', async () => {
    const lastochka = byCode('lastochka');
    const application = applicationFor(lastochka.code, 'offer');
    await setMode(lastochka.code, 'slow');
    const created = await create(lastochka, application);
    if (created.kind !== 'accepted') throw new Error('declined');
    await sleep(150); // lastochka is ready within 9 ms at this scale
    for (let i = 0; i < 3; i++) {
      expect(await poll(lastochka, created.externalId)).toMatchObject({ kind: 'processing' });
      await sleep(20);
    }
    await setMode(lastochka.code, 'normal');
    expect(await poll(lastochka, created.externalId)).toMatchObject({ kind: 'offer' });
  });

  it('flaky: about half of calls fail with 500', async () => {
    await setMode(def.code, 'flaky');
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await send(def.code, adapterFor(def.dialect).pollRequest('x'))).status);
    const failures = statuses.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThanOrEqual(10);
    expect(failures).toBeLessThanOrEqual(30);
    expect(statuses.filter((s) => s !== 500).every((s) => s === 404)).toBe(true);
  });

  it('ratelimited: 429 with Retry-After above about two calls a second', async () => {
    await setMode('baikal-volna', 'ratelimited');
    const adapter = adapterFor('rpc');
    const answers = await Promise.all(Array.from({ length: 8 }, () => send('baikal-volna', adapter.pollRequest('x'))));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(4);
    for (const a of limited) expect(a.headers.get('retry-after')).toBe('1');
    expect(answers.filter((a) => a.status !== 429).every((a) => a.status === 404)).toBe(true);
  });

  it('a healthy insurer allows far more than that', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => send(def.code, adapterFor(def.dialect).pollRequest('x'))));
    expect(answers.every((a) => a.status === 404)).toBe(true);
  });
});

describe('control routes', () => {
  it('GET /sandbox/insurers lists every insurer, normal, with no calls yet', async () => {
    const answer = await http('GET', '/sandbox/insurers');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(INSURERS.map((i) => ({ code: i.code, name: i.name, mode: 'normal', calls: 0 })));
  });

  it('counts every call an insurer gets, failures included', async () => {
    const adapter = adapterFor('rpc');
    await send('baikal-volna', adapter.pollRequest('x'));
    await send('baikal-volna', adapter.createRequest(sampleApplication(todayInMoscow()), 'x'));
    await http('POST', '/insurers/baikal-volna/rpc', '{oops');
    sandbox.setMode('baikal-volna', 'down');
    await send('baikal-volna', adapter.pollRequest('x'));
    const states = (await http('GET', '/sandbox/insurers')).body as { code: string; calls: number }[];
    for (const s of states) expect(s.calls).toBe(s.code === 'baikal-volna' ? 4 : 0);
    expect(sandbox.list().find((s) => s.code === 'baikal-volna')).toMatchObject({ mode: 'down', calls: 4 });
  });

  it('PUT …/mode checks its body and the insurer', async () => {
    const put = (path: string, body: string) => http('PUT', path, body);
    expect((await put('/sandbox/insurers/lastochka/mode', '{"mode":"sideways"}')).status).toBe(400);
    expect((await put('/sandbox/insurers/lastochka/mode', '{}')).status).toBe(400);
    expect((await put('/sandbox/insurers/lastochka/mode', 'down')).status).toBe(400);
    expect((await put('/sandbox/insurers/nobody/mode', '{"mode":"down"}')).status).toBe(404);
    expect((await http('GET', '/sandbox/insurers/lastochka/mode')).status).toBe(405);
    for (const mode of ['down', 'slow', 'flaky', 'ratelimited', 'normal']) {
      expect(await put('/sandbox/insurers/lastochka/mode', JSON.stringify({ mode }))).toMatchObject({
        status: 200,
        body: { code: 'lastochka', name: byCode('lastochka').name, mode, calls: 0 },
      });
    }
  });

  it('POST /sandbox/reset puts every insurer back to normal with zero calls', async () => {
    sandbox.setMode('dozor-avto', 'flaky');
    sandbox.setMode('tri-kita', 'down');
    await send('tri-kita', adapterFor('standard').pollRequest('x'));
    const answer = await http('POST', '/sandbox/reset');
    expect(answer.status).toBe(200);
    expect(sandbox.list().every((s) => s.mode === 'normal' && s.calls === 0)).toBe(true);
  });
});

/** mulberry32: a tiny seeded PRNG, so flaky counts and delays repeat from run to run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
