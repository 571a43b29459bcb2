/**
 * The published JSON Schema of the application (lib/application/schema.ts) against the
 * validator, on every case of validation.test.ts: what the validator accepts the schema
 * accepts, and a wrong field the schema can describe is refused by the schema too.
 */
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { applicationSchema } from '../../lib/application/schema';
import { validateApplication } from '../../lib/application/validate';
import { TEST_SEED, seededRandom } from '../support/random';
import { ACCEPTED, FIVE_WRONG, NO_CASCADE, REFUSED, TODAY, mutated, sample, set, type Json, type RefusedCase } from './fixtures/validation-cases';

// strict: a misspelt keyword would silently say nothing; union types are how "blank or null" is said
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
const matchesSchema = ajv.compile(applicationSchema);

/**
 * Rows the schema must let through, with why JSON Schema cannot refuse them: each needs today's
 * date, another field's value, or the КВС table. Listed by name so that a rule the schema starts
 * to say (or a renamed row) shows up here.
 */
const SCHEMA_CANNOT_SAY: Record<string, string> = {
  'year after next year': 'the latest model year is next year: relative to today',
  'document issued tomorrow': 'not in the future: relative to today',
  'owner born tomorrow': 'a birth date in the past: relative to today',
  'passport issued before 14': 'the 14th birthday depends on owner.birthDate',
  'passport issued tomorrow': 'not in the future: relative to today',
  'a passport issued before 20, never replaced': 'replacement at 20: owner.birthDate and today',
  'a passport issued before 20, on the 91st day after the birthday': 'replacement at 20: owner.birthDate and today',
  'a passport issued before 45, never replaced': 'replacement at 45: owner.birthDate and today',
  'driver 17 on the start date': 'the age on policy.startDate',
  'licence issued before 16': 'the 16th birthday depends on the driver’s birthDate',
  'licence issued tomorrow': 'not in the future: relative to today',
  'experience after the licence was issued': 'the order of two fields',
  'experience before 16': 'the 16th birthday depends on the driver’s birthDate',
  'policy starting yesterday': 'from today: relative to today',
  'policy starting in 61 days': 'at most 60 days ahead: relative to today',
  'a future birth date hides the licence age checks': 'a birth date in the past: relative to today',
};

/** ajv's JSON pointer, and for a missing property the property itself, as the validator's dotted path. */
function fieldOf(error: ErrorObject): string {
  const missing = error.keyword === 'required' ? `/${String(error.params.missingProperty)}` : '';
  return `${error.instancePath}${missing}`.split('/').filter(Boolean).join('.');
}

function schemaErrors(input: unknown): string[] {
  return matchesSchema(input) ? [] : (matchesSchema.errors ?? []).map(fieldOf);
}

/** The field or the object holding it: anyOf and if/then rules (VIN or body number, drivers) are said of the parent. */
const pointsAt = (schemaField: string, field: string) => field === schemaField || field.startsWith(`${schemaField}.`);

describe('the application schema agrees with the validator', () => {
  it.each(ACCEPTED)('accepts what the validator accepts: %s', (_name, mutation) => {
    const input = mutated(mutation);
    expect(validateApplication(input, TODAY)).toMatchObject({ ok: true });
    expect(schemaErrors(input)).toEqual([]);
  });

  const refused: RefusedCase[] = [...REFUSED, FIVE_WRONG, ...NO_CASCADE];
  const sayable = refused.filter(([name]) => !(name in SCHEMA_CANNOT_SAY));
  const unsayable = refused.filter(([name]) => name in SCHEMA_CANNOT_SAY);

  it.each(sayable)('refuses, at the wrong field, what the validator refuses: %s', (_name, mutation, fields) => {
    const input = mutated(mutation);
    expect(validateApplication(input, TODAY)).toMatchObject({ ok: false });
    const errors = schemaErrors(input);
    expect(errors.length).toBeGreaterThan(0);
    for (const field of fields) expect(errors.some((e) => e !== '' && pointsAt(e, field))).toBe(true);
  });

  it.each(unsayable)('lets through what only the server can judge: %s', (name, mutation) => {
    const input = mutated(mutation);
    expect(validateApplication(input, TODAY)).toMatchObject({ ok: false });
    expect(SCHEMA_CANNOT_SAY[name].length).toBeGreaterThan(0);
    expect(schemaErrors(input)).toEqual([]);
  });

  it('every name in the list of unsayable rules is a row of the validation cases', () => {
    const names = new Set(refused.map(([name]) => name));
    expect(Object.keys(SCHEMA_CANNOT_SAY).filter((name) => !names.has(name))).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['a number', 42],
    ['a string', 'str'],
    ['a boolean', true],
    ['an empty object', {}],
    ['vehicle as a list', { vehicle: [] }],
    ['wrong types everywhere', { vehicle: { vin: {}, year: [], document: 5 }, owner: 'x', drivers: [1, 'a', [], null], policy: { startDate: 20261201 } }],
    ['a string of a million characters', mutated(set('vehicle.make', 'x'.repeat(1_000_000)))],
    ['a million spaces around a code', mutated(set('owner.passport.series', `${' '.repeat(1_000_000)}4510`))],
  ])('refuses the JSON the validator refuses as a whole: %s', (_name, input) => {
    expect(validateApplication(input, TODAY)).toMatchObject({ ok: false });
    expect(matchesSchema(input)).toBe(false);
  });

  it.each<[string, unknown]>([
    ['typed codes: spaces, lower case, Latin look-alikes', mutated(
      set('vehicle.vin', ' xta219010k0123456 '),
      set('vehicle.plate', 'a 123 bc 777'),
      set('vehicle.category', 'в'),
      set('vehicle.document', { type: 'pts', series: '77 yp', number: '123 456', issuedAt: ' 2019-05-01 ' }),
      set('owner.passport.series', '45 10'),
      set('drivers.0.license.series', '99ab'),
    )],
    ['unknown fields', mutated(set('extra', 1), set('vehicle.color', 'red'), set('drivers.0.kbm', 0.5))],
    ['a leap day', mutated(set('owner.birthDate', '1984-02-29'))],
    ['both a VIN and a body number', mutated(set('vehicle.bodyNumber', 'GRANTA-0123456'))],
    ['null for every optional field', mutated(set('vehicle.plate', null), set('owner.middleName', null), set('unlimitedDrivers', null))],
  ])('accepts raw input the validator normalises: %s', (_name, input) => {
    expect(validateApplication(input, TODAY)).toMatchObject({ ok: true });
    expect(schemaErrors(input)).toEqual([]);
  });

  it('a long run of spaces in a code that fails is refused quickly (no regex backtracking blow-up)', () => {
    const input = mutated(set('owner.passport.series', `4${' '.repeat(900)}5x`));
    const started = performance.now();
    expect(matchesSchema(input)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('the contract sample is valid and is the schema’s own example source', () => {
    expect(schemaErrors(sample())).toEqual([]);
  });
});

describe('the application schema on typed variations of every field (seeded)', () => {
  const random = seededRandom(TEST_SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const MIXED = [...'0123456789 -АВЕКМНОРСТУХавекмнорстухABEKMHOPCTYXabekmhopctyxIOQioqДЁё№!.'];

  function leaves(node: unknown, prefix = ''): string[] {
    if (typeof node !== 'object' || node === null) return [prefix];
    return Object.entries(node).flatMap(([key, value]) => leaves(value, prefix ? `${prefix}.${key}` : key));
  }

  /** The kinds of slip a person makes typing a value: case, spaces, look-alikes, a character more or less. */
  function variation(value: unknown): unknown {
    const text = String(value);
    const at = Math.floor(random() * (text.length + 1));
    const variations: Array<() => unknown> = [
      () => text.toLowerCase(),
      () => ` ${text} `,
      () => `${text.slice(0, at)} ${text.slice(at)}`,
      () => `${text.slice(0, at)}${pick(MIXED)}${text.slice(at)}`,
      () => `${text.slice(0, at)}${text.slice(at + 1)}`,
      () => `${text.slice(0, at)}${pick(MIXED)}${text.slice(at + 1)}`,
      () => text.replace(/[А-Я]/g, (ch) => ({ А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X' })[ch] ?? ch),
      () => (typeof value === 'number' ? value + pick([-1, 1, 0.5]) : text),
      () => pick([null, '', '   ', 0, true]),
    ];
    return pick(variations)();
  }

  const paths = leaves(sample());
  const cases = Array.from({ length: 3000 }, () => {
    const path = pick(paths);
    const input = sample();
    const [parent, key] = (() => {
      const keys = path.split('.');
      const last = keys.pop() as string;
      let node = input;
      for (const k of keys) node = node[k] as Json;
      return [node, last] as const;
    })();
    parent[key] = variation(parent[key]);
    return { path, value: parent[key], input };
  });

  it('never refuses what the validator accepts, and refuses most of what it refuses', () => {
    const disagreements = cases.filter((c) => validateApplication(c.input, TODAY).ok && !matchesSchema(c.input))
      .map((c) => `${c.path} = ${JSON.stringify(c.value)}`);
    expect(disagreements).toEqual([]);
    const refused = cases.filter((c) => !validateApplication(c.input, TODAY).ok);
    const alsoBySchema = refused.filter((c) => !matchesSchema(c.input));
    // the rest are rules against today or other fields: a slip in a date rarely makes it unreal
    expect(refused.length).toBeGreaterThan(300);
    expect(alsoBySchema.length / refused.length).toBeGreaterThan(0.8);
  });
});
