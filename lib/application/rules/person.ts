/** owner.* of CONTRACT §1, and the name and birth-date rules drivers share with the owner. */
import { addDays, addYears, compareIsoDates } from '../../dates';
import { isRegionCode } from '../../tariff/regions';
import type { Driver, IsoDate, Owner } from '../types';
import type { Draft, Scope } from './read';
import { canonicalRegExp, segment, type CodeShape } from './shapes';

export const NAME_LETTERS = 'A-Za-zА-Яа-яЁё';
/** Besides letters and spaces: apostrophes (both) and the hyphen, escaped for a character class. */
export const NAME_MARKS = "'’\\-";
export const NAME_MAX = 60;
// Older dates are typos, and they would make the age arithmetic meaningless.
export const EARLIEST_BIRTH_YEAR = 1900;
const EARLIEST_BIRTH = `${EARLIEST_BIRTH_YEAR}-01-01`;
export const PASSPORT_SERIES_SHAPE: CodeShape = [[segment('0-9', 4)]];
export const PASSPORT_NUMBER_SHAPE: CodeShape = [[segment('0-9', 6)]];
export const REGION_SHAPE: CodeShape = [[segment('0-9', 2, 3)]];

const NAME_CHARS = new RegExp(`^[${NAME_LETTERS}${NAME_MARKS} ]+$`);
const HAS_LETTER = new RegExp(`[${NAME_LETTERS}]`);

export function checkNames(s: Scope, out: Draft<Owner> | Draft<Driver>): void {
  for (const key of ['lastName', 'firstName', 'middleName'] as const) {
    const text = s.string(key, { max: NAME_MAX, optional: key === 'middleName' });
    if (text === undefined) continue;
    const name = text.replace(/\s+/g, ' ');
    if (NAME_CHARS.test(name) && HAS_LETTER.test(name)) out[key] = name;
    else s.fail(key, 'только буквы (русские или латинские), пробел, дефис и апостроф');
  }
}

export function checkBirthDate(s: Scope): IsoDate | undefined {
  const date = s.keep('birthDate', s.date('birthDate'), (d) => compareIsoDates(d, s.today) < 0, 'дата рождения должна быть в прошлом');
  return s.keep('birthDate', date, (d) => compareIsoDates(d, EARLIEST_BIRTH) >= 0, 'дата рождения не раньше 1900 года');
}

/** The day a person reaches `age`, when their birth date is known. */
export function birthday(birthDate: IsoDate | undefined, age: number): IsoDate | undefined {
  return birthDate === undefined ? undefined : addYears(birthDate, age);
}

export function notBefore(date: IsoDate | undefined): (d: IsoDate) => boolean {
  return (d) => date === undefined || compareIsoDates(d, date) >= 0;
}

export function checkOwner(root: Scope): Draft<Owner> | undefined {
  const s = root.object('owner');
  if (!s) return undefined;
  const out: Draft<Owner> = {};
  checkNames(s, out);
  out.birthDate = checkBirthDate(s);
  const passport = s.object('passport');
  if (passport) {
    out.passport = {
      series: passport.code('series', canonicalRegExp(PASSPORT_SERIES_SHAPE), 'серия паспорта: 4 цифры', { compact: true }),
      number: passport.code('number', canonicalRegExp(PASSPORT_NUMBER_SHAPE), 'номер паспорта: 6 цифр', { compact: true }),
      issuedAt: checkPassportIssue(passport, out.birthDate),
    };
  }
  const region = s.code('registrationRegion', canonicalRegExp(REGION_SHAPE), 'код региона: 2–3 цифры, как на номерах (например, 77)');
  out.registrationRegion = s.keep('registrationRegion', region, isRegionCode, `нет региона с таким кодом${region ? ` (${region})` : ''}`);
  return out;
}

/** A passport must be replaced at these ages (Regulation on the passport, No. 828). */
const PASSPORT_REPLACED_AT = [20, 45];
/** Days after that birthday the old passport is still valid. */
const PASSPORT_GRACE_DAYS = 90;

/**
 * Issued after the 14th birthday, not in the future, and still valid on the quote's day: a
 * passport issued before the 20th (45th) birthday stays valid for 90 days after it, so from the
 * 91st day on it is refused, as a real insurer would.
 */
function checkPassportIssue(passport: Scope, birthDate: IsoDate | undefined): IsoDate | undefined {
  let issued = passport.keep('issuedAt', passport.notFutureDate('issuedAt'), notBefore(birthday(birthDate, 14)), 'паспорт выдают не раньше 14 лет');
  for (const age of PASSPORT_REPLACED_AT) {
    const due = birthday(birthDate, age);
    if (issued === undefined || due === undefined || compareIsoDates(issued, due) >= 0) continue;
    // the message names the rule, not the last valid day: that day would tell the birth date
    const lastValid = addDays(due, PASSPORT_GRACE_DAYS);
    if (compareIsoDates(passport.today, lastValid) > 0) {
      issued = passport.fail('issuedAt', `паспорт, выданный до ${age} лет, нужно было заменить в течение ${PASSPORT_GRACE_DAYS} дней после ${age}-летия`);
    }
  }
  return issued;
}
