/** vehicle.* of CONTRACT §1; input rules of OSAGO.md. */
import { parseIsoDate } from '../../dates';
import { isRegionCode } from '../../tariff/regions';
import { normalizePlate, toCyrillic, toLatin } from '../normalize';
import type { Vehicle, VehicleDocument } from '../types';
import type { Draft, Scope } from './read';
import { canonicalRegExp, segment, type CodeShape } from './shapes';

export const VIN_SHAPE: CodeShape = [[segment('A-HJ-NPR-Z0-9', 17)]];
export const BODY_OR_CHASSIS_SHAPE: CodeShape = [[segment('A-ZА-ЯЁ0-9-', 1, 20)]];
export const STS_SERIES_SHAPE: CodeShape = [[segment('0-9', 2), segment('0-9А-ЯЁ', 2)]];
export const PTS_SERIES_SHAPE: CodeShape = [[segment('0-9', 2), segment('А-ЯЁ', 2)]];
export const DOCUMENT_NUMBER_SHAPE: CodeShape = [[segment('0-9', 6)]];
export const EPTS_NUMBER_SHAPE: CodeShape = [[segment('0-9', 15)]];
export const DOCUMENT_TYPES: readonly string[] = ['STS', 'PTS', 'EPTS'];
export const MAKE_MODEL_MAX = 60;
export const MIN_YEAR = 1900;
export const ENGINE_POWER_MAX_HP = 2000;
export const CATEGORY = 'B';

const VIN = canonicalRegExp(VIN_SHAPE);
const BODY_OR_CHASSIS = canonicalRegExp(BODY_OR_CHASSIS_SHAPE);
const STS_SERIES = canonicalRegExp(STS_SERIES_SHAPE);
const PTS_SERIES = canonicalRegExp(PTS_SERIES_SHAPE);
const SIX_DIGITS = canonicalRegExp(DOCUMENT_NUMBER_SHAPE);
const EPTS_NUMBER = canonicalRegExp(EPTS_NUMBER_SHAPE);

export function checkVehicle(root: Scope): Draft<Vehicle> | undefined {
  const s = root.object('vehicle');
  if (!s) return undefined;
  const out: Draft<Vehicle> = {};
  checkIdentity(s, out);
  const plate = s.string('plate', { optional: true });
  if (plate !== undefined) {
    const normal = normalizePlate(plate);
    const region = normal?.slice(6);
    if (normal && region && !isRegionCode(region)) s.fail('plate', `на номере регион ${region}: нет региона с таким кодом`);
    else if (normal) out.plate = normal;
    else s.fail('plate', 'госномер вида А123ВС777: буква, 3 цифры (не 000), 2 буквы, регион из 2–3 цифр; буквы только А В Е К М Н О Р С Т У Х');
  }
  out.make = s.string('make', { max: MAKE_MODEL_MAX });
  out.model = s.string('model', { max: MAKE_MODEL_MAX });
  out.year = checkYear(s);
  out.enginePowerHp = s.number('enginePowerHp', (hp) => hp > 0 && hp <= ENGINE_POWER_MAX_HP, `мощность в л. с.: больше 0 и не больше ${ENGINE_POWER_MAX_HP}`);
  // Cyrillic «В» looks exactly like Latin B on a keyboard.
  const category = s.string('category', { upper: true });
  if (category !== undefined && toLatin(category) !== CATEGORY) {
    s.fail('category', 'пока страхуем только легковые автомобили категории B');
  } else if (category !== undefined) {
    out.category = 'B';
  }
  out.document = checkDocument(s);
  return out;
}

function checkIdentity(s: Scope, out: Draft<Vehicle>): void {
  // Cyrillic look-alikes typed into a VIN are mapped to Latin, like upper-casing.
  const vin = s.code('vin', VIN, 'VIN: 17 символов A–Z и 0–9, без I, O, Q', { optional: true, upper: true, transform: toLatin });
  if (vin !== undefined) out.vin = vin;
  for (const key of ['bodyNumber', 'chassisNumber'] as const) {
    const value = s.code(key, BODY_OR_CHASSIS, 'от 1 до 20 букв, цифр или дефисов', { optional: true, upper: true });
    if (value !== undefined) out[key] = value;
  }
  if (s.isBlank('vin') && s.isBlank('bodyNumber') && s.isBlank('chassisNumber')) {
    s.fail('vin', 'укажите VIN, а если его нет — номер кузова или шасси');
  }
}

function checkYear(s: Scope): number | undefined {
  // Next year's models are sold from autumn; nothing later can exist yet.
  const maxYear = (parseIsoDate(s.today)?.year ?? 0) + 1;
  return s.number('year', (y) => Number.isInteger(y) && y >= MIN_YEAR && y <= maxYear, `год выпуска: целое число от ${MIN_YEAR} до ${maxYear}`);
}

function checkDocument(vehicle: Scope): Draft<VehicleDocument> | undefined {
  const s = vehicle.object('document');
  if (!s) return undefined;
  const out: Draft<VehicleDocument> = {};
  const type = s.string('type', { upper: true });
  if (type !== undefined && !DOCUMENT_TYPES.includes(type)) s.fail('type', 'тип документа: STS (СТС), PTS (ПТС) или EPTS (ЭПТС)');
  else out.type = type as VehicleDocument['type'] | undefined;

  if (out.type === 'EPTS') {
    if (!s.isBlank('series')) s.fail('series', 'у ЭПТС нет серии: оставьте поле пустым');
    out.number = s.code('number', EPTS_NUMBER, 'номер ЭПТС: 15 цифр', { compact: true });
  } else if (out.type === 'STS' || out.type === 'PTS') {
    const sts = out.type === 'STS';
    out.series = s.code('series', sts ? STS_SERIES : PTS_SERIES,
      sts ? 'серия СТС: 2 цифры и 2 буквы или цифры, например 7700 или 77УР' : 'серия ПТС: 2 цифры и 2 русские буквы, например 77УР',
      { compact: true, transform: toCyrillic });
    out.number = s.code('number', SIX_DIGITS, `номер ${sts ? 'СТС' : 'ПТС'}: 6 цифр`, { compact: true });
  }
  out.issuedAt = s.notFutureDate('issuedAt');
  return out;
}
