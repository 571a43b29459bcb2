import { kvsCellExists } from '../../lib/application/rules/drivers';
import { normalizePlate } from '../../lib/application/normalize';
import type { Application } from '../../lib/application/types';
import { validateApplication } from '../../lib/application/validate';
import { sampleApplication } from './fixtures/application';

const TODAY = '2026-11-22'; // the sample's policy starts 2026-12-01

type Json = Record<string, unknown>;
type Mutation = (app: Json) => void;

const sample = (): Json => sampleApplication(TODAY) as unknown as Json;

function parentOf(app: Json, path: string): [Json, string] {
  const keys = path.split('.');
  const last = keys.pop() as string;
  let node = app;
  for (const key of keys) node = node[key] as Json;
  return [node, last];
}
const set = (path: string, value: unknown): Mutation => (app) => {
  const [node, key] = parentOf(app, path);
  node[key] = value;
};
const del = (path: string): Mutation => (app) => {
  const [node, key] = parentOf(app, path);
  delete node[key];
};
const all = (...mutations: Mutation[]): Mutation => (app) => mutations.forEach((m) => m(app));
const mutated = (...mutations: Mutation[]): Json => {
  const app = sample();
  all(...mutations)(app);
  return app;
};

function errorFields(input: unknown): string[] {
  const result = validateApplication(input, TODAY);
  return result.ok ? [] : result.errors.map((e) => e.field).sort();
}
function accepted(input: unknown): Application {
  const result = validateApplication(input, TODAY);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.value;
}

const secondDriver = (): Json => ({ ...(sample().drivers as Json[])[0], firstName: 'Пётр' });
const youngDriver = all(
  set('drivers.0.birthDate', '2008-12-02'), // 17 on 2026-12-01, 18 the next day
  set('drivers.0.license.issuedAt', '2025-01-10'),
  set('drivers.0.experienceSince', '2025-01-10'),
);
const epts: Mutation = (app) => set('vehicle.document', { type: 'EPTS', number: '164301234567890', issuedAt: '2019-05-01' })(app);
const noVin = all(del('vehicle.vin'), set('vehicle.bodyNumber', 'GRANTA-0123456'));

describe('validateApplication: one rule per row', () => {
  it.each<[string, Mutation, string[]]>([
    ['VIN too short', set('vehicle.vin', 'XTA21901'), ['vehicle.vin']],
    ['VIN with the letter O', set('vehicle.vin', 'XTA219010K0123O56'), ['vehicle.vin']],
    ['VIN with a forbidden symbol', set('vehicle.vin', 'XTA219010K01234-6'), ['vehicle.vin']],
    ['VIN not a string', set('vehicle.vin', 1234567890), ['vehicle.vin']],
    ['neither VIN nor body nor chassis number', del('vehicle.vin'), ['vehicle.vin']],
    ['body number with punctuation', all(noVin, set('vehicle.bodyNumber', 'КУЗОВ№1!')), ['vehicle.bodyNumber']],
    ['chassis number of 21 characters', all(del('vehicle.vin'), set('vehicle.chassisNumber', 'A'.repeat(21))), ['vehicle.chassisNumber']],
    ['plate 000', set('vehicle.plate', 'А000ВС777'), ['vehicle.plate']],
    ['plate with a non-plate letter', set('vehicle.plate', 'Д123ВС777'), ['vehicle.plate']],
    ['plate with a one-digit region', set('vehicle.plate', 'А123ВС7'), ['vehicle.plate']],
    ['plate not a string', set('vehicle.plate', 123), ['vehicle.plate']],
    ['make blank', set('vehicle.make', '   '), ['vehicle.make']],
    ['model missing', del('vehicle.model'), ['vehicle.model']],
    ['make longer than 60', set('vehicle.make', 'L'.repeat(61)), ['vehicle.make']],
    ['year as a string', set('vehicle.year', '2019'), ['vehicle.year']],
    ['year before 1900', set('vehicle.year', 1899), ['vehicle.year']],
    ['year after next year', set('vehicle.year', 2028), ['vehicle.year']],
    ['year fractional', set('vehicle.year', 2019.5), ['vehicle.year']],
    ['engine power zero', set('vehicle.enginePowerHp', 0), ['vehicle.enginePowerHp']],
    ['engine power above 2000', set('vehicle.enginePowerHp', 2001), ['vehicle.enginePowerHp']],
    ['engine power as a string', set('vehicle.enginePowerHp', '106'), ['vehicle.enginePowerHp']],
    ['engine power NaN', set('vehicle.enginePowerHp', NaN), ['vehicle.enginePowerHp']],
    ['category C', set('vehicle.category', 'C'), ['vehicle.category']],
    ['document missing', del('vehicle.document'), ['vehicle.document']],
    ['document type unknown', set('vehicle.document.type', 'OSAGO'), ['vehicle.document.type']],
    ['STS series of 3 characters', set('vehicle.document.series', '77A'), ['vehicle.document.series']],
    ['STS number of 5 digits', set('vehicle.document.number', '12345'), ['vehicle.document.number']],
    ['PTS series of digits only', all(set('vehicle.document.type', 'PTS'), set('vehicle.document.series', '7700')), ['vehicle.document.series']],
    ['EPTS with a series', all(epts, set('vehicle.document.series', '77УР')), ['vehicle.document.series']],
    ['EPTS number of 6 digits', all(epts, set('vehicle.document.number', '123456')), ['vehicle.document.number']],
    ['document issued on 30 February', set('vehicle.document.issuedAt', '2019-02-30'), ['vehicle.document.issuedAt']],
    ['document issued tomorrow', set('vehicle.document.issuedAt', '2026-11-23'), ['vehicle.document.issuedAt']],
    ['owner last name with digits', set('owner.lastName', 'Иванов2'), ['owner.lastName']],
    ['owner first name missing', del('owner.firstName'), ['owner.firstName']],
    ['owner middle name with markup', set('owner.middleName', '<script>'), ['owner.middleName']],
    ['owner first name longer than 60', set('owner.firstName', 'И'.repeat(61)), ['owner.firstName']],
    ['owner born tomorrow', set('owner.birthDate', '2026-11-23'), ['owner.birthDate']],
    ['owner birth date in a local format', set('owner.birthDate', '12.03.1985'), ['owner.birthDate']],
    ['passport series of 3 digits', set('owner.passport.series', '451'), ['owner.passport.series']],
    ['passport number with letters', set('owner.passport.number', 'abcdef'), ['owner.passport.number']],
    ['passport issued before 14', set('owner.passport.issuedAt', '1999-03-11'), ['owner.passport.issuedAt']],
    ['passport issued tomorrow', set('owner.passport.issuedAt', '2026-11-23'), ['owner.passport.issuedAt']],
    ['region as a number', set('owner.registrationRegion', 77), ['owner.registrationRegion']],
    ['region of one digit', set('owner.registrationRegion', '7'), ['owner.registrationRegion']],
    ...['00', '100', '999', '200', '888', '000'].map((code): [string, Mutation, string[]] => [`region ${code}, which is no region`, set('owner.registrationRegion', code), ['owner.registrationRegion']]),
    ['a plate whose region is no region', set('vehicle.plate', 'А123ВС999'), ['vehicle.plate']],
    ['a plate of region 00', set('vehicle.plate', 'А123ВС00'), ['vehicle.plate']],
    // born 1985-03-12: 20 on 2005-03-12, so a passport of 2000 had to be replaced by 2005-06-10
    ['a passport issued before 20, never replaced', set('owner.passport.issuedAt', '2000-01-01'), ['owner.passport.issuedAt']],
    // 20 on 2026-08-23: valid through 2026-11-21, the day before TODAY
    ['a passport issued before 20, on the 91st day after the birthday',
      all(set('owner.birthDate', '2006-08-23'), set('owner.passport.issuedAt', '2021-01-10')), ['owner.passport.issuedAt']],
    // 45 on 2026-06-01: the passport issued at 23 is out of date since 2026-08-30
    ['a passport issued before 45, never replaced',
      all(set('owner.birthDate', '1981-06-01'), set('owner.passport.issuedAt', '2004-07-01')), ['owner.passport.issuedAt']],
    ['no drivers on a limited policy', set('drivers', []), ['drivers']],
    ['drivers missing on a limited policy', del('drivers'), ['drivers']],
    ['six drivers', set('drivers', Array.from({ length: 6 }, secondDriver)), ['drivers']],
    ['drivers not a list', set('drivers', { 0: secondDriver() }), ['drivers']],
    ['unlimited policy listing drivers', set('unlimitedDrivers', true), ['drivers']],
    ['unlimitedDrivers as a string', set('unlimitedDrivers', 'true'), ['unlimitedDrivers']],
    ['driver that is not an object', set('drivers.0', null), ['drivers.0']],
    ['driver 17 on the start date', youngDriver, ['drivers.0.birthDate']],
    ['driver born on 29 February of a common year', set('drivers.0.birthDate', '1985-02-29'), ['drivers.0.birthDate']],
    ['driver last name missing', del('drivers.0.lastName'), ['drivers.0.lastName']],
    ['licence missing', del('drivers.0.license'), ['drivers.0.license']],
    ['licence series with a Latin letter that has no Cyrillic twin', set('drivers.0.license.series', '99DF'), ['drivers.0.license.series']],
    ['licence number of 5 digits', set('drivers.0.license.number', '12345'), ['drivers.0.license.number']],
    ['licence issued before 16', all(set('drivers.0.license.issuedAt', '2001-03-11'), set('drivers.0.experienceSince', '2001-03-11')),
      ['drivers.0.experienceSince', 'drivers.0.license.issuedAt']],
    ['licence issued tomorrow', set('drivers.0.license.issuedAt', '2026-11-23'), ['drivers.0.license.issuedAt']],
    ['experience after the licence was issued', set('drivers.0.experienceSince', '2011-01-01'), ['drivers.0.experienceSince']],
    ['experience before 16', set('drivers.0.experienceSince', '2000-01-01'), ['drivers.0.experienceSince']],
    ['experience on 29 February of a common year', set('drivers.0.experienceSince', '2019-02-29'), ['drivers.0.experienceSince']],
    ['a wrong second driver', set('drivers', [secondDriver(), { ...secondDriver(), license: { series: '9900', number: '1', issuedAt: '2010-06-01' } }]),
      ['drivers.1.license.number']],
    ['policy missing', del('policy'), ['policy']],
    ['policy starting yesterday', set('policy.startDate', '2026-11-21'), ['policy.startDate']],
    ['policy starting in 61 days', set('policy.startDate', '2027-01-22'), ['policy.startDate']],
    ['policy starting on 13th month', set('policy.startDate', '2026-13-01'), ['policy.startDate']],
    ['period of 2 months', set('policy.periodMonths', 2), ['policy.periodMonths']],
    ['period of 13 months', set('policy.periodMonths', 13), ['policy.periodMonths']],
    ['period of 6.5 months', set('policy.periodMonths', 6.5), ['policy.periodMonths']],
    ['vehicle as a list', set('vehicle', []), ['vehicle']],
    ['owner missing', del('owner'), ['owner']],
  ])('%s', (_name, mutation, fields) => {
    expect(errorFields(mutated(mutation))).toEqual([...fields].sort());
  });
});

describe('validateApplication: accepted', () => {
  it.each<[string, Mutation]>([
    ['the contract sample', () => undefined],
    ['an unlimited policy without drivers', all(set('unlimitedDrivers', true), set('drivers', []))],
    ['an unlimited policy with drivers absent', all(set('unlimitedDrivers', true), del('drivers'))],
    ['an EPTS', epts],
    ['an EPTS with an empty series', all(epts, set('vehicle.document.series', ''))],
    ['a PTS', all(set('vehicle.document.type', 'PTS'), set('vehicle.document.series', '77УР'))],
    ['a STS with a letter series', set('vehicle.document.series', '77ХА')],
    ['a car without a VIN, with a body number', noVin],
    ['a car without a VIN, with a chassis number', all(del('vehicle.vin'), set('vehicle.chassisNumber', 'X7L-123'))],
    ['a new car without a plate', del('vehicle.plate')],
    ['a plate with a two-digit region', set('vehicle.plate', 'Х777ХХ77')],
    ['next year model', set('vehicle.year', 2027)],
    ['fractional engine power', set('vehicle.enginePowerHp', 98.6)],
    ['five drivers', set('drivers', Array.from({ length: 5 }, secondDriver))],
    ['a driver who turns 18 on the start date', all(youngDriver, set('drivers.0.birthDate', '2008-12-01'))],
    ['an old licence series with letters', set('drivers.0.license.series', '77АВ')],
    ['a policy starting today', set('policy.startDate', TODAY)],
    ['a policy starting in 60 days', set('policy.startDate', '2027-01-21')],
    ['a 3-month policy', set('policy.periodMonths', 3)],
    ['a double-barrelled name with an apostrophe', set('owner.lastName', "Д'Артаньян-Петров")],
    ['no middle name', del('owner.middleName')],
    ['a null middle name', set('owner.middleName', null)],
    ...['116', '716', '95', '82', '92', '750', '186', '01'].map((code): [string, Mutation] => [`region ${code}`, set('owner.registrationRegion', code)]),
    ['a plate of region 716', set('vehicle.plate', 'А123ВС716')],
    // 20 on 2026-08-24: still valid on the 90th day after, TODAY
    ['a passport issued before 20, on the 90th day after the birthday',
      all(set('owner.birthDate', '2006-08-24'), set('owner.passport.issuedAt', '2021-01-10'))],
    ['a passport issued before 20, 30 days after the birthday', all(set('owner.birthDate', '2006-10-23'), set('owner.passport.issuedAt', '2021-01-10'))],
    ['a passport replaced at 45', all(set('owner.birthDate', '1981-06-01'), set('owner.passport.issuedAt', '2026-06-20'))],
    ['a passport issued at 20 to someone now 41', set('owner.passport.issuedAt', '2005-03-12')],
    // born 29 Feb 2004: 20 on 2024-02-29; a passport of 2018 is valid through 2024-05-29 — long past
    ['a passport issued after 14, replaced at 20 (leap-day birth)', all(set('owner.birthDate', '2004-02-29'), set('owner.passport.issuedAt', '2024-03-01'))],
  ])('%s', (_name, mutation) => {
    expect(validateApplication(mutated(mutation), TODAY)).toMatchObject({ ok: true });
  });

  it('returns the sample unchanged, as a copy', () => {
    const input = sample();
    const value = accepted(input);
    expect(value).toEqual(input);
    expect(value).not.toBe(input);
    expect(value.vehicle).not.toBe(input.vehicle);
  });

  it('keeps working on another day when the sample moves with it', () => {
    expect(validateApplication(sampleApplication('2031-01-05'), '2031-01-05')).toMatchObject({ ok: true });
  });
});

describe('validateApplication: all errors at once', () => {
  it('lists five wrong fields as five paths', () => {
    const app = mutated(
      set('vehicle.vin', 'short'),
      set('vehicle.year', '2019'),
      set('owner.passport.number', '12'),
      set('drivers.0.license.issuedAt', '2010-02-30'),
      set('policy.periodMonths', 0),
    );
    expect(errorFields(app)).toEqual(
      ['drivers.0.license.issuedAt', 'owner.passport.number', 'policy.periodMonths', 'vehicle.vin', 'vehicle.year'],
    );
  });

  it('reports them in form order with Russian messages', () => {
    const result = validateApplication(mutated(set('policy.periodMonths', 0), set('vehicle.category', 'D')), TODAY);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.field)).toEqual(['vehicle.category', 'policy.periodMonths']);
    expect(result.errors[0].message).toMatch(/категории B/);
    for (const error of result.errors) expect(error.message).toMatch(/[а-я]/);
  });

  it.each<[string, Mutation, string[]]>([
    ['an unreal owner birth date hides the passport age check', set('owner.birthDate', '1985-02-30'), ['owner.birthDate']],
    ['a future birth date hides the licence age checks', set('drivers.0.birthDate', '2030-01-01'), ['drivers.0.birthDate']],
    ['an invalid start date hides the driver age check', all(youngDriver, set('policy.startDate', '2026-12-32')), ['policy.startDate']],
    ['an invalid licence date hides the experience order check', all(set('drivers.0.license.issuedAt', 'soon'), set('drivers.0.experienceSince', '2011-01-01')),
      ['drivers.0.license.issuedAt']],
  ])('no cascading noise: %s', (_name, mutation, fields) => {
    expect(errorFields(mutated(mutation))).toEqual(fields);
  });
});

describe('normalisation', () => {
  it.each([
    ['a123bc77', 'А123ВС77'],
    [' A 123 BC 777 ', 'А123ВС777'],
    ['Х777ХХ199', 'Х777ХХ199'],
    ['т001ук50', 'Т001УК50'],
    ['A000BC77', undefined],
    ['D123BC77', undefined],
    ['А123ВС7777', undefined],
    ['', undefined],
    ['А'.repeat(100), undefined],
  ])('normalizePlate(%j) → %j', (raw, expected) => {
    expect(normalizePlate(raw)).toBe(expected);
  });

  it('turns the fields a person types into their canonical form', () => {
    const value = accepted(mutated(
      set('vehicle.vin', ' xta219010k0123456 '),
      set('vehicle.plate', 'a123bc777'),
      set('vehicle.category', 'В'), // Cyrillic
      set('vehicle.document', { type: 'pts', series: '77 yp', number: '123 456', issuedAt: '2019-05-01' }),
      set('owner.lastName', '  Иванов '),
      set('owner.passport.series', '45 10'),
      set('drivers.0.license.series', '99ab'),
    ));
    expect(value.vehicle).toMatchObject({ vin: 'XTA219010K0123456', plate: 'А123ВС777', category: 'B' });
    expect(value.vehicle.document).toEqual({ type: 'PTS', series: '77УР', number: '123456', issuedAt: '2019-05-01' });
    expect(value.owner.lastName).toBe('Иванов');
    expect(value.owner.passport.series).toBe('4510');
    expect(value.drivers[0].license.series).toBe('99АВ');
  });

  it('defaults unlimitedDrivers to false and empties drivers of an unlimited policy', () => {
    expect(accepted(mutated(del('unlimitedDrivers'))).unlimitedDrivers).toBe(false);
    expect(accepted(mutated(set('unlimitedDrivers', true), del('drivers'))).drivers).toEqual([]);
  });

  it('leaves optional fields absent when not given, and strips unknown ones', () => {
    const value = accepted(mutated(
      noVin, epts, set('vehicle.plate', ''), del('owner.middleName'),
      set('extra', 1), set('vehicle.color', 'red'), set('drivers.0.kbm', 0.5), set('policy.discount', 99),
    ));
    expect(Object.keys(value).sort()).toEqual(['drivers', 'owner', 'policy', 'unlimitedDrivers', 'vehicle']);
    for (const key of ['vin', 'plate', 'chassisNumber', 'color']) expect(value.vehicle).not.toHaveProperty(key);
    expect(value.vehicle.document).not.toHaveProperty('series');
    expect(value.owner).not.toHaveProperty('middleName');
    expect(value.drivers[0]).not.toHaveProperty('kbm');
    expect(value.policy).toEqual({ startDate: '2026-12-01', periodMonths: 12 });
  });
});

describe('validateApplication never throws', () => {
  const everyString = (fill: string): unknown =>
    JSON.parse(JSON.stringify(sample()).replace(/"[^"]*"(?=[,}\]])/g, () => JSON.stringify(fill)));
  const deep: Json = {};
  let node = deep;
  for (let i = 0; i < 10_000; i += 1) node = node.vehicle = { owner: [node] } as Json;

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['an array', []],
    ['a number', 42],
    ['a string', 'str'],
    ['a boolean', true],
    ['a function', () => 1],
  ])('refuses %s as a whole with field ""', (_name, input) => {
    expect(validateApplication(input, TODAY)).toEqual({ ok: false, errors: [{ field: '', message: expect.any(String) }] });
  });

  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['vehicle as a list', { vehicle: [] }],
    ['deeply nested garbage', deep],
    ['wrong types everywhere', { vehicle: { vin: {}, year: [], document: 5, plate: Symbol('x') }, owner: 'x', drivers: [1, 'a', [], null], policy: { startDate: 20261201, periodMonths: 12n } }],
    ['huge strings', everyString('x'.repeat(1_000_000))],
    ['huge padding', everyString(' '.repeat(1_000_000) + '1')],
    ['a million drivers', mutated(set('drivers', new Array(1_000_000).fill(0)))],
    ['an object with inherited fields only', Object.create(sample())],
    ['a proxy whose traps throw', new Proxy({}, { getOwnPropertyDescriptor: () => { throw new Error('trap'); } })],
  ])('refuses %s with field errors', (_name, input) => {
    const result = validateApplication(input, TODAY);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.length).toBeGreaterThan(0);
  });

  it('neither runs getters nor is polluted by __proto__ keys', () => {
    const app = sample();
    Object.defineProperty(app.vehicle, 'vin', { enumerable: true, get: () => { throw new Error('getter ran'); } });
    expect(errorFields(app)).toEqual(['vehicle.vin']);

    const hostile = JSON.parse(JSON.stringify(sample()).replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},'));
    const value = accepted(hostile);
    expect(({} as Json).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value).not.toHaveProperty('polluted');
  });

  it('throws only on a malformed `today`, which is a programming error', () => {
    expect(() => validateApplication(sample(), '22.11.2026')).toThrow(RangeError);
  });
});

describe('КВС table cells', () => {
  it.each([
    [21, 6, true], [21, 7, false], [22, 9, true], [24, 10, false], [25, 14, true],
    [29, 15, false], [30, 14, true], [30, 40, true], [60, 44, true], [15, 0, false],
  ])('age %i with %i years of experience on the policy start: %s', (age, years, exists) => {
    expect(kvsCellExists(age, years, sampleApplication(TODAY).policy.startDate)).toBe(exists);
  });
});
