/** drivers and unlimitedDrivers of CONTRACT §1. */
import { compareIsoDates, wholeYearsBetween } from '../../dates';
import { kvsCell } from '../../tariff/tables';
import { toCyrillic } from '../normalize';
import type { Driver, IsoDate } from '../types';
import { birthday, checkBirthDate, checkNames, notBefore } from './person';
import { MSG, type Draft, type Scope } from './read';
import { canonicalRegExp, segment, type CodeShape } from './shapes';

export const MAX_DRIVERS = 5;
const MIN_DRIVER_AGE = 18;
/** Four digits, or (licences of the old form) two digits and two Cyrillic letters. */
export const LICENSE_SERIES_SHAPE: CodeShape = [[segment('0-9', 4)], [segment('0-9', 2), segment('А-ЯЁ', 2)]];
export const LICENSE_NUMBER_SHAPE: CodeShape = [[segment('0-9', 6)]];
const LICENSE_SERIES = canonicalRegExp(LICENSE_SERIES_SHAPE);

/**
 * Whether the КВС table in force on `on` (OSAGO.md) has a cell for this age × experience (both
 * whole years): it has none for experience longer than the law allows at an age. Pricing reads
 * the same table, so what passes here can be priced.
 */
export function kvsCellExists(age: number, years: number, on: IsoDate): boolean {
  return kvsCell(age, years, on) !== null;
}

interface DriversPart {
  unlimitedDrivers?: boolean;
  drivers?: Draft<Driver>[];
}

export function checkDrivers(root: Scope, policyStart: IsoDate | undefined): DriversPart {
  let unlimited: boolean | undefined = false;
  if (!root.isBlank('unlimitedDrivers')) {
    const flag = root.raw('unlimitedDrivers');
    unlimited = typeof flag === 'boolean' ? flag : root.fail('unlimitedDrivers', MSG.boolean);
  }
  const list = root.raw('drivers');
  const absent = list === undefined || list === null;
  if (!absent && !Array.isArray(list)) return { unlimitedDrivers: unlimited, drivers: root.fail('drivers', MSG.array) };
  const items = absent ? [] : (list as unknown[]);

  if (unlimited === true) {
    if (items.length > 0) root.fail('drivers', 'при полисе без ограничения водителей список водителей должен быть пустым');
    return { unlimitedDrivers: true, drivers: [] };
  }
  if (unlimited === false && (items.length < 1 || items.length > MAX_DRIVERS)) {
    root.fail('drivers', `укажите от 1 до ${MAX_DRIVERS} водителей или выберите полис без ограничений`);
  }
  // Only as many as a policy can hold: a hostile list of a million entries costs nothing.
  const drivers = items.slice(0, MAX_DRIVERS).map((item, i) => {
    const s = root.child(`drivers.${i}`, item);
    return s ? checkDriver(s, policyStart) : {};
  });
  return { unlimitedDrivers: unlimited, drivers };
}

function checkDriver(s: Scope, start: IsoDate | undefined): Draft<Driver> {
  const out: Draft<Driver> = {};
  checkNames(s, out);
  const birth = (out.birthDate = checkBirthDate(s));
  // Age on the policy start: both the minimum age and the КВС cell are judged on that day.
  const age = birth && start ? wholeYearsBetween(birth, start) : undefined;
  if (age !== undefined && age < MIN_DRIVER_AGE) {
    s.fail('birthDate', `водителю должно быть не меньше ${MIN_DRIVER_AGE} лет на дату начала полиса`);
  }
  const sixteen = birthday(birth, 16);
  const license = s.object('license');
  if (license) {
    out.license = {
      series: license.code('series', LICENSE_SERIES, 'серия прав: 4 цифры или 2 цифры и 2 русские буквы',
        { compact: true, transform: toCyrillic }),
      number: license.code('number', canonicalRegExp(LICENSE_NUMBER_SHAPE), 'номер прав: 6 цифр', { compact: true }),
      issuedAt: license.keep('issuedAt', license.notFutureDate('issuedAt'), notBefore(sixteen), 'права не выдают раньше 16 лет'),
    };
  }
  out.experienceSince = checkExperience(s, sixteen, out.license?.issuedAt, start, age);
  return out;
}

/** `age` is the driver's age in whole years on `start`, when both are known. */
function checkExperience(s: Scope, sixteen?: IsoDate, licensed?: IsoDate, start?: IsoDate, age?: number): IsoDate | undefined {
  let since = s.notFutureDate('experienceSince');
  since = s.keep('experienceSince', since, notBefore(sixteen), 'стаж не может начинаться раньше 16 лет');
  since = s.keep('experienceSince', since, (d) => licensed === undefined || compareIsoDates(d, licensed) <= 0,
    'начало стажа не может быть позже выдачи этих прав');
  if (since && start && age !== undefined) {
    const years = wholeYearsBetween(since, start);
    // the КВС table in force on the quote's day prices it (OSAGO.md, "Which day's tariff")
    if (!kvsCellExists(age, years, s.today)) {
      return s.fail('experienceSince', `стаж ${years} лет невозможен в возрасте ${age} лет (нет в таблице КВС)`);
    }
  }
  return since;
}
