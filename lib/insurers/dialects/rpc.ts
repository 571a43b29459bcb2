/**
 * "rpc": JSON-RPC 2.0 over a single endpoint, PascalCase params, money as a decimal string with a
 * currency, coefficients as a list of coded factors, instants with a +03:00 offset. Polling is a
 * POST too, so a poll request carries a body. The quote reference is the `ClientToken` param of
 * `osago.calculate` (the idempotency token of PascalCase APIs): a call that repeats a token gets
 * the ticket that token already has. The JSON-RPC `id` only pairs an answer with its call.
 *   POST /rpc { method: "osago.calculate", params }          → { result: { Ticket, State: "Pending", PollAfterMs? } | { State: "Refused", RefusalReason } }
 *   POST /rpc { method: "osago.status", params: { Ticket } }  → { result: { State: "Pending" | "Calculated" | "Refused", Calculation, RefusalReason, PollAfterMs? } }
 * A Calculation is { Premium: { Amount, Currency }, OfferNumber, ExpiresAt, Factors: [{ Code, Value }], Drivers, Territory? }:
 * each named driver rated with coded factors of its own, `Drivers: [{ Index, KbmClass: "M" | "0" … "13",
 * Factors: [{ Code: "KBM" | "KVS", Value }], IsApplied }]` (empty for an unlimited policy), and КТ's parts,
 * when stated, as `Territory: { Base, Multiplier }`.
 */
import type { Application, Driver } from '../../application/types';
import { WireFormatError, type CreateOutcome, type InsurerAdapter, type PollOutcome } from '../adapter';
import type { Coefficients, DriverRating, TerritoryFactor } from '../../tariff/types';
import {
  COEFFICIENT_KEYS,
  absent,
  driverIndex,
  driverRatings,
  flag,
  instant,
  kbmClass,
  list,
  optionalDelayMs,
  positiveNumber,
  record,
  roubles,
  territory,
  text,
  withHint,
  withTerritory,
  type WireRecord,
} from './wire';

const RPC_FACTOR_CODES: Readonly<Record<keyof Coefficients, string>> = {
  tb: 'TB',
  kt: 'KT',
  kbm: 'KBM',
  kvs: 'KVS',
  ko: 'KO',
  km: 'KM',
  ks: 'KS',
  kn: 'KN',
  kpr: 'KPR',
};
const RPC_DRIVER_FACTOR_CODES: Readonly<Record<'kbm' | 'kvs', string>> = { kbm: 'KBM', kvs: 'KVS' };

export const rpcAdapter: InsurerAdapter = {
  dialect: 'rpc',

  createRequest(application: Application, reference: string) {
    return { method: 'POST', path: '/rpc', body: call(`calc-${reference}`, 'osago.calculate', toRpcParams(application, reference)) };
  },

  parseCreated(body: unknown): CreateOutcome {
    const r = result(body);
    if (r.State === 'Pending') {
      return withHint({ kind: 'accepted', externalId: text(r, 'Ticket', body) }, optionalDelayMs(r, 'PollAfterMs', body));
    }
    if (r.State === 'Refused') return { kind: 'declined', reason: text(r, 'RefusalReason', body) };
    throw new WireFormatError(`create answer: unexpected State ${JSON.stringify(r.State)}`, body);
  },

  pollRequest(externalId: string) {
    return { method: 'POST', path: '/rpc', body: call(`status-${externalId}`, 'osago.status', { Ticket: externalId }) };
  },

  parsePoll(body: unknown): PollOutcome {
    const r = result(body);
    switch (r.State) {
      case 'Pending':
        return withHint({ kind: 'processing' }, optionalDelayMs(r, 'PollAfterMs', body));
      case 'Refused':
        return { kind: 'declined', reason: text(r, 'RefusalReason', body) };
      case 'Calculated': {
        const c = record(r.Calculation, 'Calculation', body);
        return withTerritory(
          {
            kind: 'offer',
            premium: rubAmount(c.Premium, body),
            offerId: text(c, 'OfferNumber', body),
            validUntil: instant(c.ExpiresAt, 'ExpiresAt', body),
            coefficients: factors(c.Factors, COEFFICIENT_KEYS, RPC_FACTOR_CODES, 'Factors', body),
            drivers: driverRatings(
              list(c.Drivers, 'Drivers', body).map((d, i) => driverRating(d, `Drivers.${i}`, body)),
              'Drivers',
              body,
            ),
          },
          rpcTerritory(c.Territory, body),
        );
      }
      default:
        throw new WireFormatError(`poll answer: unknown State ${JSON.stringify(r.State)}`, body);
    }
  },
};

function call(id: string, method: string, params: WireRecord): WireRecord {
  return { jsonrpc: '2.0', id, method, params };
}

/** An `error` member in a 2xx answer is the insurer contradicting its own status line. */
function result(body: unknown): WireRecord {
  const b = record(body, 'JSON-RPC answer', body);
  if (b.jsonrpc !== '2.0') throw new WireFormatError('not a JSON-RPC 2.0 answer', body);
  if (b.error !== undefined) {
    const e = record(b.error, 'error', body);
    throw new WireFormatError(`JSON-RPC error ${String(e.code)}: ${String(e.message)}`, body);
  }
  return record(b.result, 'result', body);
}

function rubAmount(raw: unknown, body: unknown): number {
  const p = record(raw, 'Premium', body);
  if (p.Currency !== 'RUB') throw new WireFormatError(`Premium: expected RUB, got ${JSON.stringify(p.Currency)}`, body);
  const s = text(p, 'Amount', body);
  if (!/^\d+(\.\d+)?$/.test(s)) throw new WireFormatError(`Premium.Amount: expected a decimal string, got ${JSON.stringify(s)}`, body);
  return roubles(Number(s), 'Premium.Amount', body);
}

/** A list of coded factors, each code once; `codes[k]` is the gateway's code for our `k`, codes it adds are ignored. */
function factors<K extends string>(raw: unknown, keys: readonly K[], codes: Readonly<Record<K, string>>, at: string, body: unknown): Record<K, number> {
  const byCode = new Map<string, unknown>();
  for (const item of list(raw, at, body)) {
    const f = record(item, `${at}[]`, body);
    const code = text(f, 'Code', body);
    if (byCode.has(code)) throw new WireFormatError(`${at}: ${code} given twice`, body);
    byCode.set(code, f.Value);
  }
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const code = codes[k];
    if (!byCode.has(code)) throw new WireFormatError(`${at}: ${code} missing`, body);
    out[k] = positiveNumber(byCode.get(code), `${at}.${code}`, body);
  }
  return out;
}

function driverRating(raw: unknown, at: string, body: unknown): DriverRating {
  const d = record(raw, at, body);
  const { kbm, kvs } = factors(d.Factors, ['kbm', 'kvs'] as const, RPC_DRIVER_FACTOR_CODES, `${at}.Factors`, body);
  return {
    index: driverIndex(d.Index, `${at}.Index`, body),
    kbmClass: kbmClass(d.KbmClass, `${at}.KbmClass`, body),
    kbm,
    kvs,
    applied: flag(d.IsApplied, `${at}.IsApplied`, body),
  };
}

function rpcTerritory(raw: unknown, body: unknown): TerritoryFactor | undefined {
  if (absent(raw)) return undefined;
  const t = record(raw, 'Territory', body);
  return territory(t.Base, t.Multiplier, ['Territory.Base', 'Territory.Multiplier'], body);
}

function toRpcParams(a: Application, reference: string): WireRecord {
  const v = a.vehicle;
  return {
    ClientToken: reference,
    Vehicle: {
      Vin: v.vin,
      BodyNumber: v.bodyNumber,
      ChassisNumber: v.chassisNumber,
      RegNumber: v.plate,
      Brand: v.make,
      Model: v.model,
      Year: v.year,
      PowerHp: v.enginePowerHp,
      Category: v.category,
      Document: { Kind: v.document.type, Series: v.document.series, Number: v.document.number, IssueDate: v.document.issuedAt },
    },
    Insurant: {
      Surname: a.owner.lastName,
      Name: a.owner.firstName,
      Patronymic: a.owner.middleName,
      BirthDate: a.owner.birthDate,
      IdentityDocument: { Series: a.owner.passport.series, Number: a.owner.passport.number, IssueDate: a.owner.passport.issuedAt },
      RegionCode: a.owner.registrationRegion,
    },
    Drivers: a.drivers.map(rpcDriver),
    DriversUnlimited: a.unlimitedDrivers,
    Period: { Start: a.policy.startDate, UsageMonths: a.policy.periodMonths },
  };
}

function rpcDriver(d: Driver): WireRecord {
  return {
    Surname: d.lastName,
    Name: d.firstName,
    Patronymic: d.middleName,
    BirthDate: d.birthDate,
    License: { Series: d.license.series, Number: d.license.number, IssueDate: d.license.issuedAt },
    ExperienceStart: d.experienceSince,
  };
}
