import type { Application } from '../../lib/application/types';
import { todayInMoscow } from '../../lib/dates';
import { WireFormatError, quoteReference, type InsurerAdapter, type InsurerHttpRequest } from '../../lib/insurers/adapter';
import { INSURERS, type DialectName } from '../../lib/insurers/catalog';
import { adapterFor } from '../../lib/insurers/dialects';
import type { Coefficients, DriverRating } from '../../lib/tariff/types';
import { serverDialect, type OfferData, type WireRequest } from '../../sandbox/dialects';
import { sampleApplication } from './fixtures/application';

const DIALECTS: readonly DialectName[] = ['standard', 'snake', 'legacy', 'rpc'];

/** What the sandbox sees of a request the adapter built, after a trip through JSON and node:http. */
function onTheWire(req: InsurerHttpRequest): WireRequest {
  const q = req.path.indexOf('?');
  return {
    method: req.method,
    path: q < 0 ? req.path : req.path.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : req.path.slice(q + 1)),
    headers: Object.fromEntries(Object.entries(req.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    body: req.body === undefined ? '' : JSON.stringify(req.body),
  };
}

function variants(): [string, Application][] {
  const base = sampleApplication(todayInMoscow());
  const bare: Application = {
    ...base,
    vehicle: {
      bodyNumber: 'KGC100012345',
      make: 'Toyota',
      model: 'Corolla',
      year: 2008,
      enginePowerHp: 70.5,
      category: 'B',
      document: { type: 'EPTS', number: '164301012345678', issuedAt: '2020-01-15' },
    },
    owner: { ...base.owner, middleName: undefined, registrationRegion: '116' },
    drivers: [],
    unlimitedDrivers: true,
    policy: { ...base.policy, periodMonths: 6 },
  };
  delete bare.owner.middleName;
  const crowd: Application = {
    ...base,
    vehicle: { ...base.vehicle, vin: undefined, chassisNumber: 'CH-778899', document: { type: 'PTS', series: '77АВ', number: '654321', issuedAt: '2015-03-03' } },
    drivers: [
      ...base.drivers,
      { lastName: 'Петрова-Водкина', firstName: 'Анна', middleName: 'Сергеевна', birthDate: '2004-07-30', license: { series: '77АВ', number: '000111', issuedAt: '2022-08-01' }, experienceSince: '2022-08-01' },
      { lastName: 'Ли', firstName: 'Ён', birthDate: '1960-01-01', license: { series: '5500', number: '999999', issuedAt: '1980-02-02' }, experienceSince: '1979-05-05' },
    ],
  };
  delete crowd.vehicle.vin;
  return [
    ['the contract sample', base],
    ['an unlimited EPTS car without VIN, plate or patronymic', bare],
    ['three drivers and a PTS', crowd],
  ];
}

/** Drivers, КТ and the coefficients they explain, as the tariff gives them to an insurer. */
function offers(): [string, Pick<OfferData, 'coefficients' | 'drivers' | 'territory'>][] {
  const coefficients: Coefficients = { tb: 8302, kt: 1.8, kbm: 0.83, kvs: 0.97, ko: 1, km: 1.2, ks: 1, kn: 1, kpr: 1 };
  const crowd: DriverRating[] = [
    { index: 0, kbmClass: '13', kbm: 0.46, kvs: 0.93, applied: false },
    { index: 1, kbmClass: 'M', kbm: 3.92, kvs: 1.04, applied: true },
    { index: 2, kbmClass: '0', kbm: 2.94, kvs: 0.97, applied: false },
  ];
  return [
    ['one driver', { coefficients, drivers: [{ index: 0, kbmClass: '6', kbm: 0.83, kvs: 0.97, applied: true }], territory: { base: 1.8, multiplier: 1 } }],
    ['three drivers, the second applied', { coefficients: { ...coefficients, kbm: 3.92, kvs: 1.04 }, drivers: crowd, territory: { base: 1.8, multiplier: 1 } }],
    [
      'no drivers (unlimited) and Novosibirsk\'s corrected КТ',
      { coefficients: { ...coefficients, kt: 3.12, kbm: 1.17, kvs: 1, ko: 2.32 }, drivers: [], territory: { base: 1.56, multiplier: 2 } },
    ],
  ];
}

type Rec = Record<string, unknown>;
const at = (o: unknown, ...path: (string | number)[]): Rec => path.reduce<Rec>((r, k) => (r as Record<string | number, unknown>)[k] as Rec, o as Rec);

/** Type-level breakage of an offer's drivers and КТ parts that the sandbox would never write, per dialect's place for them. */
const MALFORMED: Record<DialectName, Record<string, (body: Rec) => void>> = {
  standard: {
    'no drivers': (b) => delete b.drivers,
    'drivers null': (b) => void (b.drivers = null),
    'drivers an object': (b) => void (b.drivers = {}),
    'a driver not an object': (b) => void (b.drivers = ['0']),
    'a class as a number': (b) => void (at(b, 'drivers', 0).kbmClass = 6),
    'a КБМ as a string': (b) => void (at(b, 'drivers', 0).kbm = '0.83'),
    'applied as a string': (b) => void (at(b, 'drivers', 0).applied = 'true'),
    'no index': (b) => delete at(b, 'drivers', 0).index,
    'a territory not an object': (b) => void (b.territory = 1.8),
    'a territory without its multiplier': (b) => delete at(b, 'territory').multiplier,
  },
  snake: {
    'no drivers': (b) => delete b.drivers,
    'drivers an object': (b) => void (b.drivers = {}),
    'a class as a number': (b) => void (at(b, 'drivers', 0).kbm_class = 6),
    'a КБМ as a string': (b) => void (at(b, 'drivers', 0).bonus_malus = '0.83'),
    'a КБМ under the coefficient\'s name': (b) => {
      const d = at(b, 'drivers', 0);
      d.kbm = d.bonus_malus;
      delete d.bonus_malus;
    },
    'applied as a number': (b) => void (at(b, 'drivers', 0).applied = 1),
    'a territory base without its multiplier': (b) => delete at(b, 'tariff').territory_multiplier,
    'a territory multiplier without its base': (b) => delete at(b, 'tariff').territory_base,
    'a territory base as a string': (b) => void (at(b, 'tariff').territory_base = '1.8'),
  },
  legacy: {
    'no driver count': (b) => delete b.voditeli_kol,
    'a driver count as a number': (b) => void (b.voditeli_kol = 1),
    'a driver count in words': (b) => void (b.voditeli_kol = 'один'),
    'a driver count past the form\'s five': (b) => void (b.voditeli_kol = '6'),
    'a driver counted but not there': (b) => void (b.voditeli_kol = '2'),
    'a class as a number': (b) => void (b.vod1_klass = 6),
    'a КБМ with a decimal point': (b) => void (b.vod1_kbm = '0.83'),
    'a КВС as a number': (b) => void (b.vod1_kvs = 0.97),
    'applied as «Yes»': (b) => void (b.vod1_primenen = 'Yes'),
    'a territory base without its correction': (b) => delete b.kt_popravka,
    'a territory base with a decimal point': (b) => void (b.kt_baza = '1.8'),
  },
  rpc: {
    'no drivers': (b) => delete at(b, 'result', 'Calculation').Drivers,
    'drivers an object': (b) => void (at(b, 'result', 'Calculation').Drivers = {}),
    'a class as a number': (b) => void (at(b, 'result', 'Calculation', 'Drivers', 0).KbmClass = 6),
    'a driver without factors': (b) => delete at(b, 'result', 'Calculation', 'Drivers', 0).Factors,
    'a driver without its KVS': (b) => void (at(b, 'result', 'Calculation', 'Drivers', 0).Factors = [{ Code: 'KBM', Value: 0.83 }]),
    'a driver\'s KBM twice': (b) => {
      const d = at(b, 'result', 'Calculation', 'Drivers', 0);
      d.Factors = [...(d.Factors as unknown[]), { Code: 'KBM', Value: 1 }];
    },
    'a driver\'s KBM as a string': (b) => void (at(b, 'result', 'Calculation', 'Drivers', 0, 'Factors', 0).Value = '0.83'),
    'applied as a string': (b) => void (at(b, 'result', 'Calculation', 'Drivers', 0).IsApplied = 'true'),
    'a territory not an object': (b) => void (at(b, 'result', 'Calculation').Territory = [1.8, 1]),
    'a territory without its multiplier': (b) => delete at(b, 'result', 'Calculation', 'Territory').Multiplier,
  },
};

describe.each(DIALECTS)('%s dialect', (dialect) => {
  const adapter: InsurerAdapter = adapterFor(dialect);
  const server = serverDialect(dialect);

  it('names itself', () => {
    expect(adapter.dialect).toBe(dialect);
  });

  it.each(variants())('the create body of %s decodes back to the same application', (_name, application) => {
    const parsed = server.parse(onTheWire(adapter.createRequest(application, 'app-42')));
    expect(parsed).toMatchObject({ op: 'create' });
    if (parsed.op !== 'create') return;
    expect(parsed.application).toStrictEqual(application);
  });

  it('a poll request names the same id, however odd', () => {
    for (const id of ['0c8e1d6e-1b7e-4b45-9b43-8f3f0f0d2a11', 'a b/c?d&e=ф']) {
      expect(server.parse(onTheWire(adapter.pollRequest(id)))).toMatchObject({ op: 'poll', id });
    }
  });

  it('a malformed create body is a 400, invalid JSON too', () => {
    const req = onTheWire(adapter.createRequest(sampleApplication(todayInMoscow()), 'app-1'));
    for (const body of ['{"not": "an application"}', '{oops', '[]', 'null']) {
      const parsed = server.parse({ ...req, body });
      expect(parsed).toMatchObject({ op: 'reply', reply: { status: 400 } });
    }
  });

  it('an unknown route is a 404', () => {
    expect(server.parse({ method: 'DELETE', path: '/nowhere', query: new URLSearchParams(), headers: {}, body: '' })).toMatchObject({
      op: 'reply',
      reply: { status: 404 },
    });
  });

  describe('the sandbox\'s answers read back through the adapter', () => {
    const validUntil = new Date('2026-11-25T12:00:03.000Z');

    it('accepted, with the poll hint', () => {
      expect(adapter.parseCreated(server.accepted('t', 'ext-1', 1500).body)).toEqual({ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 1500 });
    });

    it('declined at create', () => {
      expect(adapter.parseCreated(server.declined('t', undefined, 'Регион не обслуживается').body)).toEqual({
        kind: 'declined',
        reason: 'Регион не обслуживается',
      });
    });

    it('processing, with the poll hint', () => {
      expect(adapter.parsePoll(server.processing('t', 'ext-1', 250).body)).toEqual({ kind: 'processing', retryAfterMs: 250 });
    });

    it('declined at poll', () => {
      expect(adapter.parsePoll(server.declined('t', 'ext-1', 'Отказ по результатам андеррайтинга').body)).toEqual({
        kind: 'declined',
        reason: 'Отказ по результатам андеррайтинга',
      });
    });

    it.each(offers())('an offer with %s, in roubles with kopecks', (_name, o) => {
      const offer: OfferData = { offerId: 'OF-1', premium: 13_621.81, validUntil, ...o };
      expect(adapter.parsePoll(server.offer('t', 'ext-1', offer).body)).toStrictEqual({
        kind: 'offer',
        premium: 13_621.81,
        offerId: 'OF-1',
        validUntil: '2026-11-25T12:00:03.000Z',
        coefficients: o.coefficients,
        drivers: o.drivers,
        territory: o.territory,
      });
    });

    // what the insurer would send if its own rating went wrong, each in the dialect's idiom
    const [, sample] = offers()[0];
    const driver = sample.drivers[0];
    const broken: [string, Partial<OfferData>][] = [
      ['a КБМ class past 13', { drivers: [{ ...driver, kbmClass: '14' }] }],
      ['an empty КБМ class', { drivers: [{ ...driver, kbmClass: '' }] }],
      ['a lower-case class m', { drivers: [{ ...driver, kbmClass: 'm' }] }],
      ['a zero КБМ', { drivers: [{ ...driver, kbm: 0 }] }],
      ['a negative КВС', { drivers: [{ ...driver, kvs: -0.97 }] }],
      ['a negative index', { drivers: [{ ...driver, index: -1 }] }],
      ['a fractional index', { drivers: [{ ...driver, index: 0.5 }] }],
      ['one driver rated twice', { drivers: [driver, { ...driver, applied: false }] }],
      ['two drivers applied', { drivers: [driver, { ...driver, index: 1 }] }],
      ['a zero territory base', { territory: { base: 0, multiplier: 1 } }],
      ['a negative multiplier', { territory: { base: 1.8, multiplier: -1 } }],
    ];
    it.each(broken)('an offer with %s is a WireFormatError', (_name, change) => {
      const offer: OfferData = { offerId: 'OF-1', premium: 13_621.81, validUntil, ...sample, ...change };
      expect(() => adapter.parsePoll(server.offer('t', 'ext-1', offer).body)).toThrow(WireFormatError);
    });

    it.each(Object.keys(MALFORMED[dialect]))('a ready answer with %s is a WireFormatError', (name) => {
      const offer: OfferData = { offerId: 'OF-1', premium: 13_621.81, validUntil, ...sample };
      const body = structuredClone(server.offer('t', 'ext-1', offer).body) as Rec;
      expect(adapter.parsePoll(body)).toMatchObject({ kind: 'offer' }); // the unbroken one reads
      MALFORMED[dialect][name](body);
      expect(() => adapter.parsePoll(body)).toThrow(WireFormatError);
    });
  });

  it.each([null, undefined, 'ready', 42, [], {}, { status: 'ready', state: 'DONE', result: 'Готово' }])(
    'junk %p is a WireFormatError',
    (junk) => {
      expect(() => adapter.parseCreated(junk)).toThrow(WireFormatError);
      expect(() => adapter.parsePoll(junk)).toThrow(WireFormatError);
    },
  );
});

describe('the quote reference, in each dialect\'s own idiom', () => {
  const reference = quoteReference('0c8e1d6e-1b7e-4b45-9b43-8f3f0f0d2a11', 'tri-kita');
  const application = sampleApplication(todayInMoscow());

  /** Where each dialect carries the reference: read it, or put another value (undefined: none) in its place. */
  const IDIOMS: Record<DialectName, { read(req: InsurerHttpRequest): unknown; put(req: InsurerHttpRequest, value?: string): InsurerHttpRequest }> = {
    standard: {
      read: (req) => (req.body as Rec).partnerRequestId,
      put: (req, value) => ({ ...req, body: { ...(req.body as Rec), partnerRequestId: value } }),
    },
    snake: {
      read: (req) => req.headers?.['Idempotency-Key'],
      put: (req, value) => {
        const headers: Record<string, string> = value === undefined ? {} : { 'Idempotency-Key': value };
        return { ...req, headers };
      },
    },
    legacy: {
      read: (req) => (req.body as Rec).ish_nomer,
      put: (req, value) => ({ ...req, body: { ...(req.body as Rec), ish_nomer: value } }),
    },
    rpc: {
      read: (req) => ((req.body as Rec).params as Rec).ClientToken,
      put: (req, value) => {
        const body = req.body as Rec;
        return { ...req, body: { ...body, params: { ...(body.params as Rec), ClientToken: value } } };
      },
    },
  };

  it('is the application id, a colon and the insurer code', () => {
    expect(reference).toBe('0c8e1d6e-1b7e-4b45-9b43-8f3f0f0d2a11:tri-kita');
  });

  it.each(DIALECTS)('%s: the client puts it in its place and the insurer reads it from there', (dialect) => {
    const req = adapterFor(dialect).createRequest(application, reference);
    expect(IDIOMS[dialect].read(req)).toBe(reference);
    expect(serverDialect(dialect).parse(onTheWire(req))).toMatchObject({ op: 'create', reference });
    // the insurer reads that place and no other
    const moved = IDIOMS[dialect].put(req, 'another:ref');
    expect(serverDialect(dialect).parse(onTheWire(moved))).toMatchObject({ op: 'create', reference: 'another:ref' });
  });

  it('snake keeps it out of the body: a header only', () => {
    const req = adapterFor('snake').createRequest(application, reference);
    expect(JSON.stringify(req.body)).not.toContain(reference);
    expect(req.headers).toEqual({ 'Idempotency-Key': reference });
  });

  it('the other dialects send no headers of their own', () => {
    for (const dialect of DIALECTS.filter((d) => d !== 'snake')) expect(adapterFor(dialect).createRequest(application, reference).headers).toBeUndefined();
  });

  it.each(DIALECTS)('%s: a create without one is still a create, of the same application', (dialect) => {
    const parsed = serverDialect(dialect).parse(onTheWire(IDIOMS[dialect].put(adapterFor(dialect).createRequest(application, reference))));
    expect(parsed).toMatchObject({ op: 'create' });
    if (parsed.op !== 'create') return;
    expect(parsed.reference).toBeUndefined();
    expect(parsed.application).toStrictEqual(application);
  });

  it.each(DIALECTS)('%s: an empty or an overlong one is a 400', (dialect) => {
    const req = adapterFor(dialect).createRequest(application, reference);
    for (const bad of ['', '   ', 'x'.repeat(256)]) {
      expect(serverDialect(dialect).parse(onTheWire(IDIOMS[dialect].put(req, bad)))).toMatchObject({ op: 'reply', reply: { status: 400 } });
    }
    expect(serverDialect(dialect).parse(onTheWire(IDIOMS[dialect].put(req, 'x'.repeat(255))))).toMatchObject({ op: 'create' });
  });
});

describe('status words, as each insurer spells them', () => {
  const standard = adapterFor('standard');
  const snake = adapterFor('snake');
  const legacy = adapterFor('legacy');
  const rpc = adapterFor('rpc');
  const rpcResult = (result: object) => ({ jsonrpc: '2.0', id: 'x', result });

  it('standard: processing / ready / declined', () => {
    expect(standard.parsePoll({ status: 'processing', premium: null, retryAfterMs: 900 })).toEqual({ kind: 'processing', retryAfterMs: 900 });
    expect(standard.parsePoll({ status: 'processing' })).toEqual({ kind: 'processing' });
    expect(standard.parsePoll({ status: 'declined', reason: 'нет' })).toEqual({ kind: 'declined', reason: 'нет' });
    expect(standard.parsePoll({ status: 'ready', premium: 100.005, offerId: 'o', validUntil: '2026-12-01T00:00:00Z', coefficients: coeffs(), drivers: [] })).toMatchObject({
      kind: 'offer',
      premium: 100.01,
      validUntil: '2026-12-01T00:00:00.000Z',
    });
  });

  it('standard: drivers as they are, territory null or absent is left out', () => {
    const ready = { status: 'ready', premium: 8421.37, offerId: 'o', validUntil: '2026-12-01T00:00:00Z', coefficients: coeffs(), reason: null };
    const drivers = [{ index: 0, kbmClass: '6', kbm: 0.83, kvs: 0.91, applied: true }];
    for (const territory of [null, undefined]) {
      const offer = standard.parsePoll({ ...ready, drivers, territory });
      expect(offer).toMatchObject({ kind: 'offer', drivers });
      expect(offer).not.toHaveProperty('territory');
    }
    expect(standard.parsePoll({ ...ready, drivers, territory: { base: 1.56, multiplier: 2 } })).toMatchObject({ territory: { base: 1.56, multiplier: 2 } });
    // a driver's unknown extra fields are not carried along
    expect(standard.parsePoll({ ...ready, drivers: [{ ...drivers[0], name: 'Иванов' }] })).toMatchObject({ drivers });
  });

  it('snake: IN_PROGRESS / DONE / REJECTED, kopecks to roubles', () => {
    expect(snake.parsePoll({ state: 'IN_PROGRESS', next_poll_ms: 1000 })).toEqual({ kind: 'processing', retryAfterMs: 1000 });
    expect(snake.parsePoll({ state: 'REJECTED', rejection: { code: 'X', message: 'нет' } })).toEqual({ kind: 'declined', reason: 'нет' });
    const tariff = { base_rate_kopecks: 830200, territory: 1.8, bonus_malus: 1, age_experience: 1, drivers_limit: 1, power: 1, season: 1, violations: 1, trailer: 1 };
    const drivers = [{ index: 0, kbm_class: 'M', bonus_malus: 1, age_experience: 1, applied: true }];
    expect(snake.parsePoll({ state: 'DONE', price_kopecks: 842137, offer_ref: 'o', expires_at: 1795000000, tariff, drivers })).toStrictEqual({
      kind: 'offer',
      premium: 8421.37,
      offerId: 'o',
      validUntil: new Date(1795000000 * 1000).toISOString(),
      coefficients: { tb: 8302, kt: 1.8, kbm: 1, kvs: 1, ko: 1, km: 1, ks: 1, kn: 1, kpr: 1 },
      drivers: [{ index: 0, kbmClass: 'M', kbm: 1, kvs: 1, applied: true }],
    });
    const split = { ...tariff, territory: 3.12, territory_base: 1.56, territory_multiplier: 2 };
    expect(snake.parsePoll({ state: 'DONE', price_kopecks: 842137, offer_ref: 'o', expires_at: 1795000000, tariff: split, drivers: [] })).toMatchObject({
      drivers: [],
      territory: { base: 1.56, multiplier: 2 },
    });
  });

  it('legacy: «В обработке» / «Готово» / «Отказ», loosely spelled, money with a comma', () => {
    expect(legacy.parseCreated({ result: 'В обработке', calc_id: '4711', povtor_ms: 2000 })).toEqual({ kind: 'accepted', externalId: '4711', retryAfterMs: 2000 });
    expect(legacy.parsePoll({ result: ' в  ОБРАБОТКЕ ' })).toEqual({ kind: 'processing' });
    expect(legacy.parsePoll({ result: 'Отказ', otkaz_prichina: 'нет' })).toEqual({ kind: 'declined', reason: 'нет' });
    const koef = { ТБ: '8302', КТ: '1,8', КБМ: '0,83', КВС: '0,91', КО: '1', КМ: '1,2', КС: '1', КН: '1', КПр: '1' };
    const drivers = { voditeli_kol: '2', vod1_klass: '6', vod1_kbm: '0,83', vod1_kvs: '0,91', vod1_primenen: ' да ', vod2_klass: '3', vod2_kbm: '1', vod2_kvs: '0,91', vod2_primenen: 'НЕТ' };
    expect(legacy.parsePoll({ result: 'готово', summa: '8\u00a0421,37', nomer_predlozheniya: 'N1', deistv_do: '25.11.2026 15:00:03', koef, ...drivers })).toStrictEqual({
      kind: 'offer',
      premium: 8421.37,
      offerId: 'N1',
      validUntil: '2026-11-25T12:00:03.000Z',
      coefficients: { tb: 8302, kt: 1.8, kbm: 0.83, kvs: 0.91, ko: 1, km: 1.2, ks: 1, kn: 1, kpr: 1 },
      drivers: [
        { index: 0, kbmClass: '6', kbm: 0.83, kvs: 0.91, applied: true },
        { index: 1, kbmClass: '3', kbm: 1, kvs: 0.91, applied: false },
      ],
    });
    const unlimited = { result: 'Готово', summa: '100', nomer_predlozheniya: 'N2', deistv_do: '25.11.2026 15:00:03', koef, voditeli_kol: '0' };
    expect(legacy.parsePoll({ ...unlimited, kt_baza: '1,56', kt_popravka: '2' })).toMatchObject({ drivers: [], territory: { base: 1.56, multiplier: 2 } });
  });

  it('rpc: Pending / Calculated / Refused', () => {
    expect(rpc.parseCreated(rpcResult({ Ticket: 'T1', State: 'Pending', PollAfterMs: 500 }))).toEqual({ kind: 'accepted', externalId: 'T1', retryAfterMs: 500 });
    expect(rpc.parsePoll(rpcResult({ State: 'Refused', RefusalReason: 'нет' }))).toEqual({ kind: 'declined', reason: 'нет' });
    const Factors = ['TB', 'KT', 'KBM', 'KVS', 'KO', 'KM', 'KS', 'KN', 'KPR'].map((Code) => ({ Code, Value: Code === 'TB' ? 8302 : 1 }));
    const calculation = { Premium: { Amount: '8302.00', Currency: 'RUB' }, OfferNumber: 'B1', ExpiresAt: '2026-11-25T15:00:03.120+03:00', Factors };
    const calculated = rpc.parsePoll(rpcResult({ State: 'Calculated', Calculation: { ...calculation, Drivers: [] } }));
    expect(calculated).toMatchObject({ kind: 'offer', premium: 8302, validUntil: '2026-11-25T12:00:03.120Z', coefficients: { tb: 8302, kt: 1 }, drivers: [] });
    expect(calculated).not.toHaveProperty('territory');
    // codes the gateway adds beside KBM and KVS are not ours to read
    const Drivers = [{ Index: 0, KbmClass: '13', Factors: [{ Code: 'KVS', Value: 1 }, { Code: 'KBM', Value: 0.46 }, { Code: 'KBM_PREV', Value: 0.5 }], IsApplied: true }];
    expect(rpc.parsePoll(rpcResult({ State: 'Calculated', Calculation: { ...calculation, Drivers, Territory: { Base: 1, Multiplier: 1 } } }))).toMatchObject({
      drivers: [{ index: 0, kbmClass: '13', kbm: 0.46, kvs: 1, applied: true }],
      territory: { base: 1, multiplier: 1 },
    });
  });
});

describe('bodies that do not fit are WireFormatErrors', () => {
  const cases: [DialectName, 'parseCreated' | 'parsePoll', unknown][] = [
    ['standard', 'parseCreated', { status: 'processing' }],
    ['standard', 'parsePoll', { status: 'ready', premium: -5, offerId: 'o', validUntil: '2026-12-01T00:00:00Z', coefficients: coeffs() }],
    ['standard', 'parsePoll', { status: 'ready', premium: 5, offerId: 'o', validUntil: 'tomorrow', coefficients: coeffs() }],
    ['standard', 'parsePoll', { status: 'ready', premium: 5, offerId: 'o', validUntil: '2026-12-01T00:00:00Z', coefficients: { ...coeffs(), kbm: '0.83' } }],
    ['standard', 'parsePoll', { status: 'processing', retryAfterMs: -1 }],
    ['snake', 'parsePoll', { state: 'DONE', price_kopecks: 8421.5, offer_ref: 'o', expires_at: 1795000000, tariff: {} }],
    ['snake', 'parsePoll', { state: 'REJECTED' }],
    ['legacy', 'parsePoll', { result: 'Готово', summa: '8421.37.1', nomer_predlozheniya: 'N', deistv_do: '25.11.2026 15:00:03', koef: {} }],
    ['legacy', 'parsePoll', { result: 'Ready' }],
    ['legacy', 'parseCreated', { result: 'Готово', calc_id: '1' }],
    ['rpc', 'parsePoll', { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'boom' } }],
    ['rpc', 'parsePoll', { result: { State: 'Pending' } }],
    ['rpc', 'parsePoll', { jsonrpc: '2.0', id: 1, result: { State: 'Calculated', Calculation: { Premium: { Amount: '1.00', Currency: 'USD' }, OfferNumber: 'o', ExpiresAt: '2026-11-25T15:00:03Z', Factors: [] } } }],
    ['rpc', 'parsePoll', { jsonrpc: '2.0', id: 1, result: { State: 'Calculated', Calculation: { Premium: { Amount: '1.00', Currency: 'RUB' }, OfferNumber: 'o', ExpiresAt: '2026-11-25T15:00:03Z', Factors: [] } } }],
  ];
  it.each(cases)('%s %s %j', (dialect, method, body) => {
    expect(() => adapterFor(dialect)[method](body)).toThrow(WireFormatError);
  });
});

describe('catalog', () => {
  it('lists ten insurers with unique kebab codes, three of them off the main dialect', () => {
    expect(INSURERS).toHaveLength(10);
    expect(new Set(INSURERS.map((i) => i.code)).size).toBe(10);
    for (const i of INSURERS) expect(i.code).toMatch(/^[a-z]+(-[a-z]+)*$/);
    const others = INSURERS.filter((i) => i.dialect !== 'standard');
    expect(others).toHaveLength(3);
    expect(new Set(others.map((i) => i.dialect)).size).toBe(3);
  });

  it('has an adapter for every dialect it uses, and refuses an unknown one', () => {
    for (const i of INSURERS) expect(adapterFor(i.dialect).dialect).toBe(i.dialect);
    expect(() => adapterFor('soap' as DialectName)).toThrow(/soap/);
    expect(() => adapterFor('constructor' as DialectName)).toThrow();
  });
});

function coeffs(): Coefficients {
  return { tb: 8302, kt: 1.8, kbm: 0.83, kvs: 0.91, ko: 1, km: 1.2, ks: 1, kn: 1, kpr: 1 };
}
