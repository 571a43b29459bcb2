/** The insurer sandbox over real HTTP, spoken to through the client adapters. */
import type { Application } from '../../lib/application/types';
import { todayInMoscow } from '../../lib/dates';
import { quoteReference, type CreateOutcome, type InsurerHttpRequest, type PollOutcome } from '../../lib/insurers/adapter';
import { INSURERS, type DialectName, type InsurerDefinition } from '../../lib/insurers/catalog';
import { adapterFor } from '../../lib/insurers/dialects';
import { InsurerHttpClient } from '../../lib/insurers/http-client';
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
  sandbox = createSandbox({ latencyScale: 0.01, transientErrors: false, seed: 20261122 });
  base = `http://127.0.0.1:${await sandbox.listen(0)}`;
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const byCode = (code: string) => INSURERS.find((i) => i.code === code) as InsurerDefinition;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let applications = 0;
/** A fresh application id per call: the sandbox remembers references across tests and resets. */
const newApplicationId = () => `it-app-${process.pid}-${++applications}`;

async function http(method: string, path: string, body?: string, headers: Readonly<Record<string, string>> = {}): Promise<Answer> {
  const json: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
  const res = await fetch(base + path, { method, body, headers: { ...headers, ...json } });
  const text = await res.text();
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

function send(code: string, req: InsurerHttpRequest): Promise<Answer> {
  return http(req.method, `/insurers/${code}${req.path}`, req.body === undefined ? undefined : JSON.stringify(req.body), req.headers);
}

async function create(def: InsurerDefinition, application: Application, reference = quoteReference(newApplicationId(), def.code)): Promise<CreateOutcome> {
  const answer = await send(def.code, adapterFor(def.dialect).createRequest(application, reference));
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

        // priced by the tables of the day it is asked, the ages counted on the policy's start
        const quoteDay = todayInMoscow();
        const expected = quoteApplication(application, baseRateFor(profileFor(def.code), quoteDay), quoteDay);
        expect(outcome.premium).toBe(expected.premium);
        expect(outcome.coefficients).toEqual(expected.coefficients);
        expect(outcome.drivers).toEqual(expected.drivers);
        expect(outcome.territory).toEqual(expected.territory);

        const { min, max } = baseRateCorridor(quoteDay);
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
    expect(answer.body).toEqual(INSURERS.map((i) => ({ code: i.code, name: i.name, mode: 'normal', calls: 0, creates: 0, duplicateCreates: 0 })));
  });

  it('counts every call an insurer gets, failures included; creates only when they open a quote', async () => {
    const adapter = adapterFor('rpc');
    const createRequest = () => adapter.createRequest(sampleApplication(todayInMoscow()), quoteReference(newApplicationId(), 'baikal-volna'));
    await send('baikal-volna', adapter.pollRequest('x'));
    await send('baikal-volna', createRequest());
    await http('POST', '/insurers/baikal-volna/rpc', '{oops');
    sandbox.setMode('baikal-volna', 'down');
    await send('baikal-volna', adapter.pollRequest('x'));
    await send('baikal-volna', createRequest());
    const states = (await http('GET', '/sandbox/insurers')).body as { code: string; calls: number; creates: number }[];
    for (const s of states) expect([s.calls, s.creates]).toEqual(s.code === 'baikal-volna' ? [5, 1] : [0, 0]);
    expect(sandbox.list().find((s) => s.code === 'baikal-volna')).toMatchObject({ mode: 'down', calls: 5, creates: 1, duplicateCreates: 0 });
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

  it('GET /sandbox/quotes needs an application id; POST is not allowed', async () => {
    for (const query of ['', '?applicationId', '?applicationId=', '?applicationId=%20%20', '?other=1']) {
      const answer = await http('GET', `/sandbox/quotes${query}`);
      expect(answer).toMatchObject({ status: 400, body: { error: expect.stringContaining('applicationId') } });
    }
    expect((await http('POST', '/sandbox/quotes?applicationId=x')).status).toBe(405);
    expect(await http('GET', `/sandbox/quotes?applicationId=${newApplicationId()}`)).toMatchObject({ status: 200, body: [] });
  });
});

describe('the quote reference', () => {
  const clients = new Map<string, InsurerHttpClient>();
  /** Our own HTTP client, as the insurer services use it: its headers are part of the wire. */
  const client = (code: string) => {
    let c = clients.get(code);
    if (!c) clients.set(code, (c = new InsurerHttpClient({ code, baseUrl: `${base}/insurers/${code}`, connections: 4 })));
    return c;
  };
  afterAll(() => Promise.all([...clients.values()].map((c) => c.close())));

  const counters = (code: string) => {
    const s = sandbox.list().find((i) => i.code === code);
    return { creates: s?.creates, duplicateCreates: s?.duplicateCreates };
  };
  const record = async (applicationId: string) => {
    const answer = await http('GET', `/sandbox/quotes?applicationId=${encodeURIComponent(applicationId)}`);
    expect(answer.status).toBe(200);
    return answer.body as { insurer: string; reference: string; createdAt: string; readyAt: string; polls: number; outcome: string }[];
  };

  /** Takes out the reference from wherever the dialect put it, as a client that sends none would. */
  function withoutReference(dialect: DialectName, req: InsurerHttpRequest): InsurerHttpRequest {
    const body = { ...(req.body as Record<string, unknown>) };
    if (dialect === 'standard') delete body.partnerRequestId;
    if (dialect === 'legacy') delete body.ish_nomer;
    if (dialect === 'rpc') Object.assign(body, { id: 'calc-1', params: { ...(body.params as Record<string, unknown>), ClientToken: undefined } });
    return { method: req.method, path: req.path, body };
  }

  const oneOfEachDialect = ['sever-shield', 'tikhiy-bereg', 'uralsky-utyos', 'baikal-volna'].map(byCode);

  it.each(oneOfEachDialect.map((d) => [d.dialect, d] as const))(
    '%s: a repeated create answers with the first id, before and after the answer is ready, and is counted',
    async (_dialect, def) => {
      const adapter = adapterFor(def.dialect);
      const applicationId = newApplicationId();
      const request = adapter.createRequest(applicationFor(def.code, 'offer'), quoteReference(applicationId, def.code));
      const createOnce = async () => adapter.parseCreated(await client(def.code).send(request, 5000));
      const first = await createOnce();
      if (first.kind !== 'accepted') throw new Error(`${def.code} declined at create`);
      expect(await createOnce()).toMatchObject({ kind: 'accepted', externalId: first.externalId });
      expect(await pollUntilFinal(def, first.externalId)).toMatchObject({ kind: 'offer' });
      expect(await createOnce()).toEqual({ kind: 'accepted', externalId: first.externalId, retryAfterMs: 0 });
      expect(counters(def.code)).toEqual({ creates: 1, duplicateCreates: 2 });
      expect(await record(applicationId)).toEqual([expect.objectContaining({ insurer: def.code, outcome: 'offer' })]);
    },
  );

  it('creates racing with one reference open one quote', async () => {
    const def = byCode('sever-shield');
    const application = applicationFor(def.code, 'offer');
    const reference = quoteReference(newApplicationId(), def.code);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => create(def, application, reference)));
    const ids = new Set(outcomes.map((o) => (o.kind === 'accepted' ? o.externalId : o.kind)));
    expect(ids.size).toBe(1);
    expect(counters(def.code)).toEqual({ creates: 1, duplicateCreates: 5 });
  });

  it('a repeat of a refusal at create gets the same refusal, counted, with no quote to poll', async () => {
    const def = byCode('polar-mayak');
    const application = sampleApplication(todayInMoscow());
    application.owner.registrationRegion = '05';
    const applicationId = newApplicationId();
    const reference = quoteReference(applicationId, def.code);
    const first = await create(def, application, reference);
    expect(first).toEqual({ kind: 'declined', reason: expect.stringContaining('05') });
    // the reference alone decides: even a body the insurer would quote gets the first answer
    expect(await create(def, applicationFor(def.code, 'offer'), reference)).toEqual(first);
    expect(counters(def.code)).toEqual({ creates: 1, duplicateCreates: 1 });
    const [quote, ...others] = await record(applicationId);
    expect(others).toEqual([]);
    expect(quote).toMatchObject({ insurer: def.code, reference, polls: 0, outcome: 'declined' });
    expect(quote.readyAt).toBe(quote.createdAt);
  });

  it.each(oneOfEachDialect.map((d) => [d.dialect, d] as const))('%s: a create without a reference still works, each one a new quote', async (_dialect, def) => {
    const adapter = adapterFor(def.dialect);
    const request = withoutReference(def.dialect, adapter.createRequest(applicationFor(def.code, 'offer'), 'stripped'));
    expect(JSON.stringify(request)).not.toContain('stripped');
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const created = adapter.parseCreated(await client(def.code).send(request, 5000));
      if (created.kind !== 'accepted') throw new Error(`${def.code} declined at create`);
      expect(await pollUntilFinal(def, created.externalId)).toMatchObject({ kind: 'offer' });
      ids.push(created.externalId);
    }
    expect(new Set(ids).size).toBe(2);
    expect(counters(def.code)).toEqual({ creates: 2, duplicateCreates: 0 });
  });

  it('POST /sandbox/reset zeroes creates and duplicates, but the insurer still knows its quotes', async () => {
    const def = byCode('dozor-avto');
    const reference = quoteReference(newApplicationId(), def.code);
    const first = await create(def, applicationFor(def.code, 'offer'), reference);
    if (first.kind !== 'accepted') throw new Error(`${def.code} declined at create`);
    await create(def, applicationFor(def.code, 'offer'), reference);
    expect(counters(def.code)).toEqual({ creates: 1, duplicateCreates: 1 });
    const states = (await http('POST', '/sandbox/reset')).body as { code: string; creates: number; duplicateCreates: number }[];
    expect(states.every((s) => s.creates === 0 && s.duplicateCreates === 0)).toBe(true);
    expect(await create(def, applicationFor(def.code, 'offer'), reference)).toMatchObject({ kind: 'accepted', externalId: first.externalId });
    expect(counters(def.code)).toEqual({ creates: 0, duplicateCreates: 1 });
  });

  it('GET /sandbox/quotes: every insurer\'s record of one application, polls counted, and nothing of another', async () => {
    const applicationId = newApplicationId();
    const application = sampleApplication(todayInMoscow());
    const ours = await Promise.all(
      INSURERS.map(async (def) => {
        const sentAt = Date.now();
        const created = await create(def, application, quoteReference(applicationId, def.code));
        const answeredAt = Date.now();
        if (created.kind === 'declined') return { def, sentAt, answeredAt, polls: 0, outcome: 'declined', finalAt: answeredAt };
        let polls = 0;
        for (;;) {
          const outcome = await poll(def, created.externalId);
          polls += 1;
          if (outcome.kind !== 'processing') return { def, sentAt, answeredAt, polls, outcome: outcome.kind, finalAt: Date.now() };
          await sleep(Math.max(5, outcome.retryAfterMs ?? 20));
        }
      }),
    );
    await create(byCode('lastochka'), application, quoteReference(newApplicationId(), 'lastochka')); // someone else's

    const theirs = await record(applicationId);
    expect(theirs.map((q) => q.insurer).sort()).toEqual(INSURERS.map((i) => i.code).sort());
    for (const q of theirs) {
      const mine = ours.find((o) => o.def.code === q.insurer)!;
      expect(q).toEqual({
        insurer: mine.def.code,
        reference: `${applicationId}:${mine.def.code}`,
        createdAt: expect.any(String),
        readyAt: expect.any(String),
        polls: mine.polls,
        outcome: mine.outcome === 'offer' ? 'offer' : 'declined',
      });
      const createdAt = Date.parse(q.createdAt);
      const readyAt = Date.parse(q.readyAt);
      expect(new Date(createdAt).toISOString()).toBe(q.createdAt);
      expect(new Date(readyAt).toISOString()).toBe(q.readyAt);
      expect(createdAt).toBeGreaterThanOrEqual(mine.sentAt);
      expect(createdAt).toBeLessThanOrEqual(mine.answeredAt);
      // the insurer answers only once its answer is ready, so we saw it at or after readyAt
      expect(readyAt).toBeGreaterThanOrEqual(createdAt);
      expect(readyAt).toBeLessThanOrEqual(mine.finalAt);
    }
    expect(ours.some((o) => o.polls > 1)).toBe(true);
  });

  it('the application is what comes before the last colon; a reference without one names none', async () => {
    const def = byCode('dozor-avto');
    await create(def, applicationFor(def.code, 'offer'), 'order:42:dozor-avto');
    await create(def, applicationFor(def.code, 'offer'), 'no-colon-at-all');
    expect(await record('order:42')).toEqual([expect.objectContaining({ reference: 'order:42:dozor-avto' })]);
    expect(await record('order')).toEqual([]);
    expect(await record('no-colon-at-all')).toEqual([]);
    expect(counters(def.code)).toEqual({ creates: 2, duplicateCreates: 0 });
  });

  it('an insurer keeps the latest ten quotes of one application, however many references a client invents', async () => {
    const def = byCode('dozor-avto');
    const applicationId = newApplicationId();
    for (let i = 0; i < 12; i++) await create(def, applicationFor(def.code, 'offer'), `${applicationId}:try-${i}`);
    const kept = (await record(applicationId)).map((q) => q.reference);
    expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => `${applicationId}:try-${i + 2}`));
    expect(counters(def.code)).toEqual({ creates: 12, duplicateCreates: 0 });
  });
});
