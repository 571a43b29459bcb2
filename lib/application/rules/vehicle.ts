/** vehicle.* of CONTRACT §1; input rules of OSAGO.md. */
import { parseIsoDate } from '../../dates';
import { isRegionCode } from '../../tariff/regions';
import { normalizePlate, toCyrillic, toLatin } from '../normalize';
import type { Vehicle, VehicleDocument } from '../types';
import type { Draft, Scope } from './read';

const VIN = /^[A-HJ-NPR-Z0-9]{17}$/;
const BODY_OR_CHASSIS = /^[A-ZА-ЯЁ0-9-]{1,20}$/;
const STS_SERIES = /^\d{2}[0-9А-ЯЁ]{2}$/;
const PTS_SERIES = /^\d{2}[А-ЯЁ]{2}$/;
const SIX_DIGITS = /^\d{6}$/;
const EPTS_NUMBER = /^\d{15}$/;
const DOCUMENT_TYPES: readonly string[] = ['STS', 'PTS', 'EPTS'];

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
  out.make = s.string('make', { max: 60 });
  out.model = s.string('model', { max: 60 });
  out.year = checkYear(s);
  out.enginePowerHp = s.number('enginePowerHp', (hp) => hp > 0 && hp <= 2000, 'мощность в л. с.: больше 0 и не больше 2000');
  // Cyrillic «В» looks exactly like Latin B on a keyboard.
  const category = s.string('category', { upper: true });
  if (category !== undefined && toLatin(category) !== 'B') {
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
  return s.number('year', (y) => Number.isInteger(y) && y >= 1900 && y <= maxYear, `год выпуска: целое число от 1900 до ${maxYear}`);
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
