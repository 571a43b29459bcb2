import { kvsCellExists } from '../../lib/application/rules/drivers';
import { normalizePlate } from '../../lib/application/normalize';
import type { Application } from '../../lib/application/types';
import { validateApplication } from '../../lib/application/validate';
import { sampleApplication } from './fixtures/application';
import {
  ACCEPTED, FIVE_WRONG, NO_CASCADE, REFUSED, TODAY, del, epts, mutated, noVin, sample, set, type Json,
} from './fixtures/validation-cases';

function errorFields(input: unknown): string[] {
  const result = validateApplication(input, TODAY);
  return result.ok ? [] : result.errors.map((e) => e.field).sort();
}
function accepted(input: unknown): Application {
  const result = validateApplication(input, TODAY);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return result.value;
}

describe('validateApplication: one rule per row', () => {
  it.each(REFUSED)('%s', (_name, mutation, fields) => {
    expect(errorFields(mutated(mutation))).toEqual([...fields].sort());
  });
});

describe('validateApplication: accepted', () => {
  it.each(ACCEPTED)('%s', (_name, mutation) => {
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
    const [, mutation, fields] = FIVE_WRONG;
    expect(errorFields(mutated(mutation))).toEqual(fields);
  });

  it('reports them in form order with Russian messages', () => {
    const result = validateApplication(mutated(set('policy.periodMonths', 0), set('vehicle.category', 'D')), TODAY);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.field)).toEqual(['vehicle.category', 'policy.periodMonths']);
    expect(result.errors[0].message).toMatch(/категории B/);
    for (const error of result.errors) expect(error.message).toMatch(/[а-я]/);
  });

  it.each(NO_CASCADE)('no cascading noise: %s', (_name, mutation, fields) => {
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
