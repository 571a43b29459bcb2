/**
 * "legacy": an old calculation gateway. One flat body with transliterated keys, every value a
 * string, dates as DD.MM.YYYY, names as one FIO string, drivers numbered vod1_…vod5_; answers
 * carry status words in Russian, money as "8421,37" and instants in Moscow time. The quote
 * reference is the request's outgoing number, `ish_nomer` («исходящий номер», as on any letter in
 * Russian paperwork); a form that repeats one gets back the calculation already opened for it.
 *   POST /calc                       → { result: "В обработке", calc_id, povtor_ms? } | { result: "Отказ", otkaz_prichina }
 *   GET  /calc/status?calc_id={id}   → { result: "В обработке" | "Готово" | "Отказ", summa, nomer_predlozheniya, deistv_do, koef,
 *                                        voditeli_kol, vod{N}_klass, vod{N}_kbm, vod{N}_kvs, vod{N}_primenen, kt_baza?, kt_popravka?,
 *                                        otkaz_prichina, povtor_ms? }
 * A ready answer rates the drivers the way the form numbers them: `voditeli_kol` ("0" for an unlimited
 * policy), then for N = 1…voditeli_kol (driver N-1 of the application) `vodN_klass` ("M", "0" … "13"),
 * `vodN_kbm` and `vodN_kvs` ("0,83"), `vodN_primenen` ("Да" | "Нет"). КТ's parts, when stated, are
 * `kt_baza` × `kt_popravka` (both or neither), with decimal commas like `koef`.
 */
import type { Application, IsoDate } from '../../application/types';
import { WireFormatError, type CreateOutcome, type InsurerAdapter, type PollOutcome } from '../adapter';
import type { Coefficients, DriverRating, TerritoryFactor } from '../../tariff/types';
import {
  absent,
  coefficients,
  driverRatings,
  kbmClass,
  optionalDelayMs,
  record,
  roubles,
  territory,
  text,
  withHint,
  withTerritory,
  type WireRecord,
} from './wire';

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

const DOC_KIND = { STS: 'СТС', PTS: 'ПТС', EPTS: 'ЭПТС' } as const;
const MAX_DRIVERS = 5; // the form has places for vod1_…vod5_

type LegacyStatus = 'processing' | 'ready' | 'declined';

export const legacyAdapter: InsurerAdapter = {
  dialect: 'legacy',

  createRequest(application: Application, reference: string) {
    return { method: 'POST', path: '/calc', body: toLegacyCalc(application, reference) };
  },

  parseCreated(body: unknown): CreateOutcome {
    const b = record(body, 'create answer', body);
    const status = legacyStatus(b, body);
    if (status === 'processing') {
      return withHint({ kind: 'accepted', externalId: text(b, 'calc_id', body) }, optionalDelayMs(b, 'povtor_ms', body));
    }
    if (status === 'declined') return { kind: 'declined', reason: text(b, 'otkaz_prichina', body) };
    throw new WireFormatError('create answer: a calculation cannot be ready before it is accepted', body);
  },

  pollRequest(externalId: string) {
    return { method: 'GET', path: `/calc/status?calc_id=${encodeURIComponent(externalId)}` };
  },

  parsePoll(body: unknown): PollOutcome {
    const b = record(body, 'poll answer', body);
    switch (legacyStatus(b, body)) {
      case 'processing':
        return withHint({ kind: 'processing' }, optionalDelayMs(b, 'povtor_ms', body));
      case 'declined':
        return { kind: 'declined', reason: text(b, 'otkaz_prichina', body) };
      case 'ready':
        return withTerritory(
          {
            kind: 'offer',
            premium: roubles(decimalComma(b.summa, 'summa', body), 'summa', body),
            offerId: text(b, 'nomer_predlozheniya', body),
            validUntil: moscowInstant(text(b, 'deistv_do', body), body),
            coefficients: coefficients(record(b.koef, 'koef', body), KOEF_NAMES, (raw, key) => decimalComma(raw, key, body)),
            drivers: legacyDrivers(b, body),
          },
          legacyTerritory(b, body),
        );
    }
  },
};

/** The gateway's spelling has drifted over the years (case, stray spaces), so compare loosely. */
function legacyStatus(b: WireRecord, body: unknown): LegacyStatus {
  const word = typeof b.result === 'string' ? b.result.trim().toLowerCase().replace(/\s+/g, ' ') : undefined;
  if (word === 'в обработке') return 'processing';
  if (word === 'готово') return 'ready';
  if (word === 'отказ') return 'declined';
  throw new WireFormatError(`result: unknown status ${JSON.stringify(b.result)}`, body);
}

/** "8 421,37" → 8421.37; spaces (also no-break) group thousands. */
function decimalComma(raw: unknown, key: string, body: unknown): number {
  const s = typeof raw === 'string' ? raw.replace(/[\s\u00a0]/g, '') : '';
  if (!/^\d+(,\d+)?$/.test(s)) throw new WireFormatError(`${key}: expected a decimal like "8421,37"`, body);
  const n = Number(s.replace(',', '.'));
  if (!(n > 0)) throw new WireFormatError(`${key}: expected a positive amount`, body);
  return n;
}

function legacyDrivers(b: WireRecord, body: unknown): DriverRating[] {
  const count = typeof b.voditeli_kol === 'string' && /^\d$/.test(b.voditeli_kol.trim()) ? Number(b.voditeli_kol) : NaN;
  if (!(count <= MAX_DRIVERS)) throw new WireFormatError(`voditeli_kol: expected "0" … "${MAX_DRIVERS}"`, body);
  const ratings = Array.from({ length: count }, (_, index): DriverRating => {
    const p = `vod${index + 1}_`;
    return {
      index,
      kbmClass: kbmClass(b[`${p}klass`], `${p}klass`, body),
      kbm: decimalComma(b[`${p}kbm`], `${p}kbm`, body),
      kvs: decimalComma(b[`${p}kvs`], `${p}kvs`, body),
      applied: yesNo(b[`${p}primenen`], `${p}primenen`, body),
    };
  });
  return driverRatings(ratings, 'vod', body);
}

function legacyTerritory(b: WireRecord, body: unknown): TerritoryFactor | undefined {
  if (absent(b.kt_baza) && absent(b.kt_popravka)) return undefined;
  return territory(decimalComma(b.kt_baza, 'kt_baza', body), decimalComma(b.kt_popravka, 'kt_popravka', body), ['kt_baza', 'kt_popravka'], body);
}

/** Compared as loosely as the status words, for the same reason. */
function yesNo(raw: unknown, key: string, body: unknown): boolean {
  const word = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
  if (word === 'да') return true;
  if (word === 'нет') return false;
  throw new WireFormatError(`${key}: expected "Да" or "Нет"`, body);
}

/** "24.11.2026 18:00:03" in Moscow (UTC+3 all year) → ISO UTC. */
function moscowInstant(s: string, body: unknown): string {
  const m = /^(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  const t = m ? Date.UTC(+m[3], +m[2] - 1, +m[1], +m[4] - 3, +m[5], +m[6]) : NaN;
  if (!m || !Number.isFinite(t) || +m[2] < 1 || +m[2] > 12 || +m[1] < 1 || +m[1] > 31) {
    throw new WireFormatError(`deistv_do: expected "DD.MM.YYYY HH:MM:SS", got ${JSON.stringify(s)}`, body);
  }
  return new Date(t).toISOString();
}

function ruDate(iso: IsoDate): string {
  const [y, m, d] = iso.split('-');
  return `${d}.${m}.${y}`;
}

function ruNumber(n: number): string {
  return String(n).replace('.', ',');
}

function fio(p: { lastName: string; firstName: string; middleName?: string }): string {
  return [p.lastName, p.firstName, p.middleName].filter((s) => s !== undefined && s !== '').join(' ');
}

function toLegacyCalc(a: Application, reference: string): Record<string, string> {
  const v = a.vehicle;
  const flat: Record<string, string | undefined> = {
    ish_nomer: reference,
    owner_fio: fio(a.owner),
    owner_dr: ruDate(a.owner.birthDate),
    owner_pasport: `${a.owner.passport.series} ${a.owner.passport.number}`,
    owner_pasport_data: ruDate(a.owner.passport.issuedAt),
    owner_region: a.owner.registrationRegion,
    ts_vin: v.vin,
    ts_kuzov: v.bodyNumber,
    ts_shassi: v.chassisNumber,
    ts_gosnomer: v.plate,
    ts_marka: v.make,
    ts_model: v.model,
    ts_god: String(v.year),
    ts_moshnost: ruNumber(v.enginePowerHp),
    ts_kategoriya: v.category,
    ts_doc_vid: DOC_KIND[v.document.type],
    ts_doc_seriya: v.document.series,
    ts_doc_nomer: v.document.number,
    ts_doc_data: ruDate(v.document.issuedAt),
    bez_ogranicheniy: a.unlimitedDrivers ? 'Да' : 'Нет',
    voditeli_kol: String(a.drivers.length),
    data_nachala: ruDate(a.policy.startDate),
    period_isp: String(a.policy.periodMonths),
  };
  a.drivers.forEach((d, i) => {
    const p = `vod${i + 1}_`;
    flat[`${p}fio`] = fio(d);
    flat[`${p}dr`] = ruDate(d.birthDate);
    flat[`${p}vu`] = `${d.license.series} ${d.license.number}`;
    flat[`${p}vu_data`] = ruDate(d.license.issuedAt);
    flat[`${p}stazh_s`] = ruDate(d.experienceSince);
  });
  // a legacy form has no notion of null: absent fields are simply not sent
  return Object.fromEntries(Object.entries(flat).filter((e): e is [string, string] => e[1] !== undefined));
}
