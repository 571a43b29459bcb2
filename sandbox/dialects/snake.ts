/**
 * "snake" as the insurer serves it: snake_case, kopecks, Unix-second expiry, `{ error: { code } }`.
 * The client's quote reference is the create's `Idempotency-Key` header, not a body field.
 */
import type { Application, Driver } from '../../lib/application/types';
import { DOC_TYPES, bool, compact, decodeBody, int, isoDate, list, num, obj, oneOf, optReference, optStr, segment, str } from './decode';
import type { ParsedRequest, Reply, ServerDialect, WireRequest } from './types';

const CODES: Readonly<Record<number, string>> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  429: 'RATE_LIMITED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const error = (status: number, message: string, field?: string): Reply => ({
  status,
  body: { error: compact({ code: CODES[status] ?? 'ERROR', message, field }) },
});

const kopecks = (roubles: number) => Math.round(roubles * 100);

export const snakeServer: ServerDialect = {
  parse(req: WireRequest): ParsedRequest {
    if (req.method === 'POST' && req.path === '/v2/quotes') {
      const decode = (body: unknown) => ({
        application: decodeSnake(body),
        reference: optReference(req.headers['idempotency-key'], 'Idempotency-Key'),
      });
      return decodeBody(req.body, decode, () => error(400, 'malformed JSON'), (e) => error(400, e.problem, e.field));
    }
    const m = /^\/v2\/quotes\/([^/]+)$/.exec(req.path);
    const id = m && segment(m[1]);
    if (req.method === 'GET' && id) return { op: 'poll', id };
    return { op: 'reply', reply: error(404, `no route ${req.method} ${req.path}`) };
  },

  accepted: (_tag, id, ms) => ({ status: 201, body: { quote_id: id, state: 'IN_PROGRESS', next_poll_ms: ms } }),
  processing: (_tag, id, ms) => ({ status: 200, body: { quote_id: id, state: 'IN_PROGRESS', next_poll_ms: ms } }),
  offer: (_tag, id, o) => ({
    status: 200,
    body: {
      quote_id: id,
      state: 'DONE',
      price_kopecks: kopecks(o.premium),
      offer_ref: o.offerId,
      expires_at: Math.floor(o.validUntil.getTime() / 1000),
      tariff: {
        base_rate_kopecks: kopecks(o.coefficients.tb),
        territory: o.coefficients.kt,
        bonus_malus: o.coefficients.kbm,
        age_experience: o.coefficients.kvs,
        drivers_limit: o.coefficients.ko,
        power: o.coefficients.km,
        season: o.coefficients.ks,
        violations: o.coefficients.kn,
        trailer: o.coefficients.kpr,
        territory_base: o.territory.base,
        territory_multiplier: o.territory.multiplier,
      },
      drivers: o.drivers.map((d) => ({
        index: d.index,
        kbm_class: d.kbmClass,
        bonus_malus: d.kbm,
        age_experience: d.kvs,
        applied: d.applied,
      })),
    },
  }),
  declined: (_tag, id, reason) => ({
    status: 200,
    body: compact({ quote_id: id, state: 'REJECTED', rejection: { code: 'UNDERWRITING', message: reason } }),
  }),
  invalid: (_tag, message) => error(400, message),
  unknownId: (_tag, id) => error(404, `quote ${id} not found`),
  failure: (status, message) => error(status, message),
};

function decodeSnake(body: unknown): Application {
  const b = obj(body, 'body');
  const v = obj(b.vehicle, 'vehicle');
  const doc = obj(v.registration_document, 'vehicle.registration_document');
  const ph = obj(b.policyholder, 'policyholder');
  const pass = obj(ph.passport, 'policyholder.passport');
  const cover = obj(b.coverage, 'coverage');
  return {
    vehicle: compact({
      vin: optStr(v, 'vin', 'vehicle'),
      bodyNumber: optStr(v, 'body_number', 'vehicle'),
      chassisNumber: optStr(v, 'chassis_number', 'vehicle'),
      plate: optStr(v, 'reg_plate', 'vehicle'),
      make: str(v, 'make', 'vehicle'),
      model: str(v, 'model', 'vehicle'),
      year: int(v, 'manufacture_year', 'vehicle'),
      enginePowerHp: num(v, 'engine_power_hp', 'vehicle'),
      category: oneOf(v.category, ['B'] as const, 'vehicle.category'),
      document: compact({
        type: oneOf(doc.doc_type, DOC_TYPES, 'vehicle.registration_document.doc_type'),
        series: optStr(doc, 'series', 'vehicle.registration_document'),
        number: str(doc, 'number', 'vehicle.registration_document'),
        issuedAt: isoDate(doc, 'issue_date', 'vehicle.registration_document'),
      }),
    }),
    owner: compact({
      lastName: str(ph, 'last_name', 'policyholder'),
      firstName: str(ph, 'first_name', 'policyholder'),
      middleName: optStr(ph, 'middle_name', 'policyholder'),
      birthDate: isoDate(ph, 'birth_date', 'policyholder'),
      passport: {
        series: str(pass, 'series', 'policyholder.passport'),
        number: str(pass, 'number', 'policyholder.passport'),
        issuedAt: isoDate(pass, 'issue_date', 'policyholder.passport'),
      },
      registrationRegion: str(ph, 'registration_region', 'policyholder'),
    }),
    drivers: list(b, 'drivers').map((d, i) => decodeDriver(d, `drivers.${i}`)),
    unlimitedDrivers: bool(b, 'unlimited_drivers'),
    policy: { startDate: isoDate(cover, 'start_date', 'coverage'), periodMonths: int(cover, 'usage_months', 'coverage') },
  };
}

function decodeDriver(raw: unknown, at: string): Driver {
  const d = obj(raw, at);
  const lic = obj(d.licence, `${at}.licence`);
  return compact({
    lastName: str(d, 'last_name', at),
    firstName: str(d, 'first_name', at),
    middleName: optStr(d, 'middle_name', at),
    birthDate: isoDate(d, 'birth_date', at),
    license: {
      series: str(lic, 'series', `${at}.licence`),
      number: str(lic, 'number', `${at}.licence`),
      issuedAt: isoDate(lic, 'issue_date', `${at}.licence`),
    },
    experienceSince: isoDate(d, 'driving_since', at),
  });
}
