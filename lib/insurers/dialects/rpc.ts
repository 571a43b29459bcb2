/**
 * "rpc": JSON-RPC 2.0 over a single endpoint, PascalCase params, money as a decimal string with a
 * currency, coefficients as a list of coded factors, instants with a +03:00 offset. Polling is a
 * POST too, so a poll request carries a body. The quote reference is the `ClientToken` param of
 * `osago.calculate` (the idempotency token of PascalCase APIs): a call that repeats a token gets
 * the ticket that token already has. The JSON-RPC `id` only pairs an answer with its call.
 *   POST /rpc { method: "osago.calculate", params }          → { result: { Ticket, State: "Pending", PollAfterMs? } | { State: "Refused", RefusalReason } }
 *   POST /rpc { method: "osago.status", params: { Ticket } }  → { result: { State: "Pending" | "Calculated" | "Refused", Calculation, RefusalReason, PollAfterMs? } }
 */
import type { Application, Driver } from '../../application/types';
import { WireFormatError, type CreateOutcome, type InsurerAdapter, type PollOutcome } from '../adapter';
import type { Coefficients } from '../../tariff/types';
import { COEFFICIENT_KEYS, instant, optionalDelayMs, positiveNumber, record, roubles, text, withHint, type WireRecord } from './wire';

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
        return {
          kind: 'offer',
          premium: rubAmount(c.Premium, body),
          offerId: text(c, 'OfferNumber', body),
          validUntil: instant(c.ExpiresAt, 'ExpiresAt', body),
          coefficients: factors(c.Factors, body),
        };
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

function factors(raw: unknown, body: unknown): Coefficients {
  if (!Array.isArray(raw)) throw new WireFormatError('Factors: expected a list', body);
  const byCode = new Map<string, unknown>();
  for (const item of raw) {
    const f = record(item, 'Factors[]', body);
    const code = text(f, 'Code', body);
    if (byCode.has(code)) throw new WireFormatError(`Factors: ${code} given twice`, body);
    byCode.set(code, f.Value);
  }
  const out = {} as Coefficients;
  for (const k of COEFFICIENT_KEYS) {
    const code = RPC_FACTOR_CODES[k];
    if (!byCode.has(code)) throw new WireFormatError(`Factors: ${code} missing`, body);
    out[k] = positiveNumber(byCode.get(code), `Factors.${code}`, body);
  }
  return out;
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
