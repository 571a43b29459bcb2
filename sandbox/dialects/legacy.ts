/**
 * "legacy" as the insurer serves it: a flat form of strings (DD.MM.YYYY dates, decimal commas,
 * one FIO string, drivers numbered vod1_…vod5_) and answers with Russian status words; an offer
 * rates the drivers under the same vodN_ numbering. The client's quote reference is the form's
 * outgoing number, `ish_nomer`.
 */
import type { Application, Driver, IsoDate, VehicleDocumentType } from '../../lib/application/types';
import type { Coefficients, DriverRating } from '../../lib/tariff/types';
import { DecodeError, compact, decodeBody, obj, oneOf, optReference, optStr, ruDate, str, type Rec } from './decode';
import type { CreateRequest, ParsedRequest, Reply, ServerDialect, WireRequest } from './types';

const DOC_KINDS = { СТС: 'STS', ПТС: 'PTS', ЭПТС: 'EPTS' } as const satisfies Record<string, VehicleDocumentType>;
const KOEF_NAMES: Readonly<Record<keyof Coefficients, string>> = {
  tb: 'ТБ',
  kt: 'КТ',
  kbm: 'КБМ',
  kvs: 'КВС',
  ko: 'КО',
  km: 'КМ',
  ks: 'КС',
  kn: 'КН',
  kpr: 'КПр',
};
const MAX_DRIVERS = 5;

const error = (status: number, message: string): Reply => ({ status, body: { result: 'Ошибка', kod: status, oshibka: message } });
const ruNumber = (n: number) => String(n).replace('.', ',');

export const legacyServer: ServerDialect = {
  parse(req: WireRequest): ParsedRequest {
    if (req.method === 'POST' && req.path === '/calc') {
      return decodeBody(
        req.body,
        decodeCreate,
        () => error(400, 'Неверный формат запроса'),
        (e) => error(400, `Ошибка в поле ${e.field}: ${e.problem}`),
      );
    }
    if (req.method === 'GET' && req.path === '/calc/status') {
      const id = req.query.get('calc_id');
      return id ? { op: 'poll', id } : { op: 'reply', reply: error(400, 'Не указан calc_id') };
    }
    return { op: 'reply', reply: error(404, 'Метод не найден') };
  },

  accepted: (_tag, id, ms) => ({ status: 200, body: { result: 'В обработке', calc_id: id, povtor_ms: ms } }),
  processing: (_tag, id, ms) => ({ status: 200, body: { result: 'В обработке', calc_id: id, povtor_ms: ms } }),
  offer: (_tag, id, o) => ({
    status: 200,
    body: {
      result: 'Готово',
      calc_id: id,
      summa: o.premium.toFixed(2).replace('.', ','),
      nomer_predlozheniya: o.offerId,
      deistv_do: moscowDateTime(o.validUntil),
      koef: Object.fromEntries(
        (Object.keys(KOEF_NAMES) as (keyof Coefficients)[]).map((k) => [KOEF_NAMES[k], ruNumber(o.coefficients[k])]),
      ),
      ...driverFields(o.drivers),
      kt_baza: ruNumber(o.territory.base),
      kt_popravka: ruNumber(o.territory.multiplier),
    },
  }),
  declined: (_tag, id, reason) => ({ status: 200, body: compact({ result: 'Отказ', calc_id: id, otkaz_prichina: reason }) }),
  invalid: (_tag, message) => error(400, message),
  unknownId: (_tag, id) => error(404, `Расчёт ${id} не найден`),
  failure: (status, message) => error(status, message),
};

/** Numbered as on the form, vod1_ being the application's first driver. */
function driverFields(drivers: readonly DriverRating[]): Record<string, string> {
  const fields: Record<string, string> = { voditeli_kol: String(drivers.length) };
  for (const d of drivers) {
    const p = `vod${d.index + 1}_`;
    fields[`${p}klass`] = d.kbmClass;
    fields[`${p}kbm`] = ruNumber(d.kbm);
    fields[`${p}kvs`] = ruNumber(d.kvs);
    fields[`${p}primenen`] = d.applied ? 'Да' : 'Нет';
  }
  return fields;
}

/** "24.11.2026 18:00:03": Moscow wall time, UTC+3 all year. */
function moscowDateTime(t: Date): string {
  const iso = new Date(t.getTime() + 3 * 3600_000).toISOString();
  return `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)} ${iso.slice(11, 19)}`;
}

function decodeCreate(body: unknown): CreateRequest {
  return { application: decodeLegacy(body), reference: optReference(obj(body, 'body').ish_nomer, 'ish_nomer') };
}

function decodeLegacy(body: unknown): Application {
  const b = obj(body, 'body');
  for (const [key, value] of Object.entries(b)) {
    if (typeof value !== 'string') throw new DecodeError(key, 'ожидается строка');
  }
  const owner = fio(str(b, 'owner_fio'), 'owner_fio');
  const passport = seriesNumber(str(b, 'owner_pasport'), 'owner_pasport');
  const unlimited = oneOf(b.bez_ogranicheniy, ['Да', 'Нет'] as const, 'bez_ogranicheniy') === 'Да';
  const count = whole(b, 'voditeli_kol');
  if (count > MAX_DRIVERS) throw new DecodeError('voditeli_kol', `не более ${MAX_DRIVERS} водителей`);
  const docKind = oneOf(b.ts_doc_vid, Object.keys(DOC_KINDS) as (keyof typeof DOC_KINDS)[], 'ts_doc_vid');
  return {
    vehicle: compact({
      vin: optStr(b, 'ts_vin'),
      bodyNumber: optStr(b, 'ts_kuzov'),
      chassisNumber: optStr(b, 'ts_shassi'),
      plate: optStr(b, 'ts_gosnomer'),
      make: str(b, 'ts_marka'),
      model: str(b, 'ts_model'),
      year: whole(b, 'ts_god'),
      enginePowerHp: decimal(b, 'ts_moshnost'),
      category: oneOf(b.ts_kategoriya, ['B'] as const, 'ts_kategoriya'),
      document: compact({
        type: DOC_KINDS[docKind],
        series: optStr(b, 'ts_doc_seriya'),
        number: str(b, 'ts_doc_nomer'),
        issuedAt: date(b, 'ts_doc_data'),
      }),
    }),
    owner: compact({
      ...owner,
      birthDate: date(b, 'owner_dr'),
      passport: { ...passport, issuedAt: date(b, 'owner_pasport_data') },
      registrationRegion: str(b, 'owner_region'),
    }),
    drivers: Array.from({ length: count }, (_, i) => decodeDriver(b, `vod${i + 1}_`)),
    unlimitedDrivers: unlimited,
    policy: { startDate: date(b, 'data_nachala'), periodMonths: whole(b, 'period_isp') },
  };
}

function decodeDriver(b: Rec, p: string): Driver {
  return compact({
    ...fio(str(b, `${p}fio`), `${p}fio`),
    birthDate: date(b, `${p}dr`),
    license: { ...seriesNumber(str(b, `${p}vu`), `${p}vu`), issuedAt: date(b, `${p}vu_data`) },
    experienceSince: date(b, `${p}stazh_s`),
  });
}

function date(b: Rec, key: string): IsoDate {
  return ruDate(str(b, key), key);
}

function whole(b: Rec, key: string): number {
  const s = str(b, key);
  if (!/^\d{1,6}$/.test(s)) throw new DecodeError(key, 'ожидается целое число');
  return Number(s);
}

function decimal(b: Rec, key: string): number {
  const s = str(b, key);
  if (!/^\d{1,6}(,\d{1,4})?$/.test(s)) throw new DecodeError(key, 'ожидается число вида 106 или 70,5');
  return Number(s.replace(',', '.'));
}

/** "Иванов Иван Иванович": surname, name, then the patronymic if any. */
function fio(s: string, key: string): { lastName: string; firstName: string; middleName?: string } {
  const parts = s.trim().split(/\s+/);
  if (parts.length < 2) throw new DecodeError(key, 'ожидаются фамилия и имя');
  const [lastName, firstName, ...rest] = parts;
  return compact({ lastName, firstName, middleName: rest.length ? rest.join(' ') : undefined });
}

function seriesNumber(s: string, key: string): { series: string; number: string } {
  const parts = s.trim().split(/\s+/);
  if (parts.length !== 2) throw new DecodeError(key, 'ожидаются серия и номер через пробел');
  return { series: parts[0], number: parts[1] };
}
