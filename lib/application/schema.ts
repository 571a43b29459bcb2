/**
 * The JSON Schema (2020-12) of the application of CONTRACT §1, as published in the OpenAPI
 * document. It says every rule of lib/application/ that JSON Schema can say, built from the same
 * shapes and bounds, and accepts what the validator accepts: the raw input a person types (spaces
 * around and inside document codes, lower case, Latin look-alikes of Cyrillic letters and back),
 * blank strings and null for optional fields, and unknown fields, which the validator drops.
 *
 * What it cannot say (test/unit/application-schema.test.ts lists each with its reason): dates
 * against today, dates against other fields (ages, the licence and experience order, passport
 * replacement) and the КВС table's cells.
 */
import { REGION_CODES } from '../tariff/regions';
import { PLATE_DIGITS, PLATE_LETTERS, toCyrillic, toLatin } from './normalize';
import { LICENSE_NUMBER_SHAPE, LICENSE_SERIES_SHAPE, MAX_DRIVERS } from './rules/drivers';
import { EARLIEST_BIRTH_YEAR, NAME_LETTERS, NAME_MARKS, NAME_MAX, PASSPORT_NUMBER_SHAPE, PASSPORT_SERIES_SHAPE } from './rules/person';
import { PERIOD_MONTHS_MAX, PERIOD_MONTHS_MIN } from './rules/policy';
import { RAW_MAX } from './rules/read';
import type { CodeShape } from './rules/shapes';
import {
  BODY_OR_CHASSIS_SHAPE, CATEGORY, DOCUMENT_NUMBER_SHAPE, DOCUMENT_TYPES, ENGINE_POWER_MAX_HP, EPTS_NUMBER_SHAPE,
  MAKE_MODEL_MAX, MIN_YEAR, PTS_SERIES_SHAPE, STS_SERIES_SHAPE, VIN_SHAPE,
} from './rules/vehicle';

type Schema = Record<string, unknown>;
type Normalise = (ch: string) => string;

const upper: Normalise = (ch) => ch.toUpperCase();
const upperLatin: Normalise = (ch) => toLatin(ch.toUpperCase());
const upperCyrillic: Normalise = (ch) => toCyrillic(ch.toUpperCase());
const asTyped: Normalise = (ch) => ch;

// Every character a code can hold once normalised comes from one of these, in either case.
const ALPHABET = [
  ...'0123456789-',
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  ...'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя',
];

/** The characters a person may type for one canonical class: those that normalise into it. */
function inputClass(chars: string, normalise: Normalise): string {
  const canonical = new RegExp(`^[${chars}]$`);
  const typed = ALPHABET.filter((ch) => canonical.test(normalise(ch)));
  return `[${typed.map((ch) => (ch === '-' ? '\\-' : ch)).join('')}]`;
}

/**
 * Each class of the result never matches white space, so every `\s*` has one place to stop:
 * no backtracking blow-up on a long run of spaces.
 */
function shapePattern(shape: CodeShape, normalise: Normalise, spacedInside: boolean): string {
  const alternatives = shape.map((run) =>
    run
      .map((s, i) => {
        const cls = inputClass(s.chars, normalise);
        if (!spacedInside) return `${cls}{${s.min},${s.max}}`;
        // the first character of a code follows the leading \s* directly
        return i === 0 ? `${cls}(?:\\s*${cls}){${s.min - 1},${s.max - 1}}` : `(?:\\s*${cls}){${s.min},${s.max}}`;
      })
      .join(''),
  );
  return `^\\s*(?:${alternatives.join('|')})\\s*$`;
}

function literalPattern(words: readonly string[], normalise: Normalise): string {
  const typed = (word: string) => [...word].map((ch) => inputClass(ch, normalise)).join('');
  return `^\\s*(?:${words.map(typed).join('|')})\\s*$`;
}

const spacedDigits = (digits: string) => [...digits].join('\\s*');

const BLANK: Schema = { type: ['string', 'null'], pattern: '^\\s*$', maxLength: RAW_MAX, description: 'blank or null: not given' };
const text = (pattern: string, extra: Schema = {}): Schema => ({ type: 'string', maxLength: RAW_MAX, pattern, ...extra });
const optional = (schema: Schema): Schema => ({ anyOf: [BLANK, schema] });
/** Document codes are compacted (inner spaces dropped) and upper-cased before the check. */
const code = (shape: CodeShape, normalise: Normalise, extra: Schema = {}) => text(shapePattern(shape, normalise, true), extra);
const trimmedUpTo = (max: number) => `^\\s*\\S(?:[\\s\\S]{0,${max - 2}}\\S)?\\s*$`;

// A leap year as four digits: divisible by 4, and by 400 where it is divisible by 100.
const LEAP_YEAR = '(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const CALENDAR_DATE =
  '(?:\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))' +
  `|${LEAP_YEAR}-02-29)`;
const date = (description: string, extra: Schema = {}): Schema =>
  text(`^\\s*${CALENDAR_DATE}\\s*$`, { description: `A real calendar date, YYYY-MM-DD. ${description}`, examples: ['2019-05-01'], ...extra });
/** A year of 1900 or later: 19xx, or 2000–9999. */
const FROM_1900 = `^\\s*(?:19|[2-9]\\d)\\d\\d-`;
if (EARLIEST_BIRTH_YEAR !== 1900) throw new Error('schema: FROM_1900 spells the earliest birth year 1900');

const namePattern = (() => {
  const edge = `[${NAME_LETTERS}${NAME_MARKS}]`;
  const inner = `[${NAME_LETTERS}${NAME_MARKS}\\s]`;
  return `^\\s*(?=[\\s\\S]*[${NAME_LETTERS}])${edge}(?:${inner}{0,${NAME_MAX - 2}}${edge})?\\s*$`;
})();
const name = (description: string): Schema =>
  text(namePattern, { description: `${description}: letters (Cyrillic or Latin), spaces, hyphens and apostrophes, at most ${NAME_MAX} characters` });

const REGION_ALTERNATIVES = REGION_CODES.map(spacedDigits).join('|');
const plateLetter = inputClass(PLATE_LETTERS, upperCyrillic);
const PLATE_PATTERN =
  `^\\s*${plateLetter}(?!(?:\\s*0){${PLATE_DIGITS}})(?:\\s*\\d){${PLATE_DIGITS}}(?:\\s*${plateLetter}){2}\\s*(?:${REGION_ALTERNATIVES})\\s*$`;

const identityGiven = (key: string): Schema => ({ required: [key], properties: { [key]: { type: 'string', pattern: '\\S' } } });

const documentOf = (type: string, then: Schema): Schema => ({
  if: { required: ['type'], properties: { type: { type: 'string', pattern: literalPattern([type], upper) } } },
  then,
});

const vehicleDocument: Schema = {
  type: 'object',
  description: 'STS (СТС), PTS (ПТС) or EPTS (ЭПТС, a 15-digit number and no series). Spaces inside codes are ignored.',
  required: ['type', 'number', 'issuedAt'],
  properties: {
    type: text(literalPattern(DOCUMENT_TYPES, upper), { description: DOCUMENT_TYPES.join(' | '), examples: ['STS'] }),
    series: { description: 'STS: 2 digits and 2 digits or Cyrillic letters (7700, 77УР); PTS: 2 digits and 2 Cyrillic letters; EPTS: none' },
    number: { description: 'STS, PTS: 6 digits; EPTS: 15 digits' },
    issuedAt: date('Not in the future.'),
  },
  allOf: [
    documentOf('STS', { required: ['series'], properties: { series: code(STS_SERIES_SHAPE, upperCyrillic), number: code(DOCUMENT_NUMBER_SHAPE, asTyped) } }),
    documentOf('PTS', { required: ['series'], properties: { series: code(PTS_SERIES_SHAPE, upperCyrillic), number: code(DOCUMENT_NUMBER_SHAPE, asTyped) } }),
    documentOf('EPTS', { properties: { series: BLANK, number: code(EPTS_NUMBER_SHAPE, asTyped) } }),
  ],
};

const vehicle: Schema = {
  type: 'object',
  required: ['make', 'model', 'year', 'enginePowerHp', 'category', 'document'],
  description: 'The car: a VIN, or where it has none a body or chassis number (at least one of the three).',
  properties: {
    vin: optional(text(shapePattern(VIN_SHAPE, upperLatin, false), {
      description: '17 characters A–Z and 0–9 without I, O, Q (upper-cased; Cyrillic look-alikes read as Latin)', examples: ['XTA219010K0123456'],
    })),
    bodyNumber: optional(text(shapePattern(BODY_OR_CHASSIS_SHAPE, upper, false), { description: '1–20 letters, digits or hyphens' })),
    chassisNumber: optional(text(shapePattern(BODY_OR_CHASSIS_SHAPE, upper, false), { description: '1–20 letters, digits or hyphens' })),
    plate: optional(text(PLATE_PATTERN, {
      description: `Optional (a new car may have none). A letter, ${PLATE_DIGITS} digits (not 000), 2 letters and a real region code; ` +
        `letters ${[...PLATE_LETTERS].join(' ')}, their Latin look-alikes accepted and stored in Cyrillic`,
      examples: ['А123ВС777'],
    })),
    make: text(trimmedUpTo(MAKE_MODEL_MAX), { description: `at most ${MAKE_MODEL_MAX} characters`, examples: ['LADA'] }),
    model: text(trimmedUpTo(MAKE_MODEL_MAX), { description: `at most ${MAKE_MODEL_MAX} characters`, examples: ['Granta'] }),
    year: { type: 'integer', minimum: MIN_YEAR, description: `${MIN_YEAR} to next year`, examples: [2019] },
    enginePowerHp: { type: 'number', exclusiveMinimum: 0, maximum: ENGINE_POWER_MAX_HP, examples: [106] },
    category: text(literalPattern([CATEGORY], upperLatin), { description: 'v1 insures passenger cars only: B (Latin or Cyrillic)', examples: [CATEGORY] }),
    document: vehicleDocument,
  },
  anyOf: ['vin', 'bodyNumber', 'chassisNumber'].map(identityGiven),
};

const owner: Schema = {
  type: 'object',
  description: 'The owner, who is also the policyholder in v1',
  required: ['lastName', 'firstName', 'birthDate', 'passport', 'registrationRegion'],
  properties: {
    lastName: name('Last name'),
    firstName: name('First name'),
    middleName: optional(name('Middle name')),
    birthDate: date('In the past, 1900 or later.', { allOf: [{ type: 'string', pattern: FROM_1900 }] }),
    passport: {
      type: 'object',
      required: ['series', 'number', 'issuedAt'],
      properties: {
        series: code(PASSPORT_SERIES_SHAPE, asTyped, { description: '4 digits', examples: ['4510'] }),
        number: code(PASSPORT_NUMBER_SHAPE, asTyped, { description: '6 digits', examples: ['123456'] }),
        issuedAt: date('Not in the future, on or after the 14th birthday; a passport issued before the 20th (45th) birthday is refused from the 91st day after it.'),
      },
    },
    registrationRegion: text(`^\\s*(?:${REGION_CODES.join('|')})\\s*$`, {
      description: 'The region code (as on plates) of the registration address: a real code of 2–3 digits', examples: ['77'],
    }),
  },
};

const driver: Schema = {
  type: 'object',
  required: ['lastName', 'firstName', 'birthDate', 'license', 'experienceSince'],
  properties: {
    lastName: name('Last name'),
    firstName: name('First name'),
    middleName: optional(name('Middle name')),
    birthDate: date('In the past, 1900 or later; 18 or older on the policy start.', { allOf: [{ type: 'string', pattern: FROM_1900 }] }),
    license: {
      type: 'object',
      required: ['series', 'number', 'issuedAt'],
      properties: {
        series: code(LICENSE_SERIES_SHAPE, upperCyrillic, { description: '4 digits, or 2 digits and 2 Cyrillic letters (Latin look-alikes accepted)', examples: ['9900'] }),
        number: code(LICENSE_NUMBER_SHAPE, asTyped, { description: '6 digits', examples: ['123456'] }),
        issuedAt: date('Not in the future, on or after the 16th birthday.'),
      },
    },
    experienceSince: date('Not in the future, on or after the 16th birthday, not after the licence was issued; age × experience must be a cell of the КВС table.'),
  },
};

const UNLIMITED: Schema = { required: ['unlimitedDrivers'], properties: { unlimitedDrivers: { const: true } } };

export const applicationSchema: Schema = {
  title: 'Application',
  description:
    'CONTRACT §1. Strings are trimmed; document codes may be typed with spaces and in lower case. ' +
    'Unknown fields are ignored. Rules against today or between fields are checked by the server only (400 names the field).',
  type: 'object',
  required: ['vehicle', 'owner', 'policy'],
  properties: {
    vehicle,
    owner,
    drivers: {
      type: ['array', 'null'],
      description: `1–${MAX_DRIVERS} named drivers; none (absent, null or []) when unlimitedDrivers is true`,
      items: driver,
    },
    unlimitedDrivers: { anyOf: [{ type: 'boolean' }, BLANK], description: 'true: any driver (an unlimited policy); default false' },
    policy: {
      type: 'object',
      required: ['startDate', 'periodMonths'],
      properties: {
        startDate: date('From today (Moscow) to 60 days ahead.'),
        periodMonths: { type: 'integer', minimum: PERIOD_MONTHS_MIN, maximum: PERIOD_MONTHS_MAX, examples: [12] },
      },
    },
  },
  if: UNLIMITED,
  then: { properties: { drivers: { type: ['array', 'null'], maxItems: 0 } } },
  else: { required: ['drivers'], properties: { drivers: { type: 'array', minItems: 1, maxItems: MAX_DRIVERS } } },
};
