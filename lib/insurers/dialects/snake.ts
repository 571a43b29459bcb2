/**
 * "snake": a v2 REST API with snake_case fields, upper-case states, money in integer kopecks and
 * the offer's expiry as Unix seconds. Like most modern REST APIs it keeps idempotency out of the
 * body: the quote reference is the `Idempotency-Key` header of the create, and a create that
 * repeats a key answers with the quote that key already opened.
 *   POST /v2/quotes        → 201 { quote_id, state: "IN_PROGRESS", next_poll_ms? } | 200 { state: "REJECTED", rejection }
 *   GET  /v2/quotes/{id}   → { quote_id, state: "IN_PROGRESS" | "DONE" | "REJECTED", price_kopecks, offer_ref, expires_at, tariff, drivers, rejection, next_poll_ms? }
 * A DONE quote rates each named driver in the tariff's words, `drivers: [{ index, kbm_class: "M" | "0" … "13",
 * bonus_malus, age_experience, applied }]` (empty for an unlimited policy), and may split the tariff's
 * `territory` into `territory_base` × `territory_multiplier` (both or neither).
 */
import type { Application, Driver } from '../../application/types';
import { WireFormatError, type CreateOutcome, type InsurerAdapter, type PollOutcome } from '../adapter';
import type { Coefficients } from '../../tariff/types';
import {
  coefficients,
  namedDriverRatings,
  optionalDelayMs,
  optionalTerritory,
  positiveNumber,
  record,
  roubles,
  text,
  withHint,
  type RatingNames,
  withTerritory,
  type WireRecord,
} from './wire';

const RATING_NAMES: RatingNames = { index: 'index', kbmClass: 'kbm_class', kbm: 'bonus_malus', kvs: 'age_experience', applied: 'applied' };

const TARIFF_NAMES: Readonly<Record<keyof Coefficients, string>> = {
  tb: 'base_rate_kopecks',
  kt: 'territory',
  kbm: 'bonus_malus',
  kvs: 'age_experience',
  ko: 'drivers_limit',
  km: 'power',
  ks: 'season',
  kn: 'violations',
  kpr: 'trailer',
};

export const snakeAdapter: InsurerAdapter = {
  dialect: 'snake',

  createRequest(application: Application, reference: string) {
    return { method: 'POST', path: '/v2/quotes', headers: { 'Idempotency-Key': reference }, body: toSnakeQuote(application) };
  },

  parseCreated(body: unknown): CreateOutcome {
    const b = record(body, 'create answer', body);
    if (b.state === 'IN_PROGRESS') {
      return withHint({ kind: 'accepted', externalId: text(b, 'quote_id', body) }, optionalDelayMs(b, 'next_poll_ms', body));
    }
    if (b.state === 'REJECTED') return { kind: 'declined', reason: rejection(b, body) };
    throw new WireFormatError(`create answer: unknown state ${JSON.stringify(b.state)}`, body);
  },

  pollRequest(externalId: string) {
    return { method: 'GET', path: `/v2/quotes/${encodeURIComponent(externalId)}` };
  },

  parsePoll(body: unknown): PollOutcome {
    const b = record(body, 'poll answer', body);
    switch (b.state) {
      case 'IN_PROGRESS':
        return withHint({ kind: 'processing' }, optionalDelayMs(b, 'next_poll_ms', body));
      case 'REJECTED':
        return { kind: 'declined', reason: rejection(b, body) };
      case 'DONE': {
        const tariff = record(b.tariff, 'tariff', body);
        const c = coefficients(tariff, TARIFF_NAMES, (raw, key) => positiveNumber(raw, key, body));
        c.tb = kopecksToRoubles(c.tb, TARIFF_NAMES.tb, body);
        const expires = b.expires_at;
        if (typeof expires !== 'number' || !Number.isInteger(expires) || expires <= 0) {
          throw new WireFormatError('expires_at: expected Unix seconds', body);
        }
        return withTerritory(
          {
            kind: 'offer',
            premium: kopecksToRoubles(b.price_kopecks, 'price_kopecks', body),
            offerId: text(b, 'offer_ref', body),
            validUntil: new Date(expires * 1000).toISOString(),
            coefficients: c,
            drivers: namedDriverRatings(b.drivers, 'drivers', RATING_NAMES, body),
          },
          optionalTerritory(tariff.territory_base, tariff.territory_multiplier, ['tariff.territory_base', 'tariff.territory_multiplier'], body),
        );
      }
      default:
        throw new WireFormatError(`poll answer: unknown state ${JSON.stringify(b.state)}`, body);
    }
  },
};

function kopecksToRoubles(raw: unknown, key: string, body: unknown): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw <= 0) {
    throw new WireFormatError(`${key}: expected a positive whole number of kopecks`, body);
  }
  return roubles(raw / 100, key, body);
}

function rejection(b: WireRecord, body: unknown): string {
  return text(record(b.rejection, 'rejection', body), 'message', body);
}

function toSnakeQuote(a: Application): WireRecord {
  const v = a.vehicle;
  return {
    vehicle: {
      vin: v.vin,
      body_number: v.bodyNumber,
      chassis_number: v.chassisNumber,
      reg_plate: v.plate,
      make: v.make,
      model: v.model,
      manufacture_year: v.year,
      engine_power_hp: v.enginePowerHp,
      category: v.category,
      registration_document: {
        doc_type: v.document.type,
        series: v.document.series,
        number: v.document.number,
        issue_date: v.document.issuedAt,
      },
    },
    policyholder: {
      last_name: a.owner.lastName,
      first_name: a.owner.firstName,
      middle_name: a.owner.middleName,
      birth_date: a.owner.birthDate,
      passport: { series: a.owner.passport.series, number: a.owner.passport.number, issue_date: a.owner.passport.issuedAt },
      registration_region: a.owner.registrationRegion,
    },
    drivers: a.drivers.map(snakeDriver),
    unlimited_drivers: a.unlimitedDrivers,
    coverage: { start_date: a.policy.startDate, usage_months: a.policy.periodMonths },
  };
}

function snakeDriver(d: Driver): WireRecord {
  return {
    last_name: d.lastName,
    first_name: d.firstName,
    middle_name: d.middleName,
    birth_date: d.birthDate,
    licence: { series: d.license.series, number: d.license.number, issue_date: d.license.issuedAt },
    driving_since: d.experienceSince,
  };
}
