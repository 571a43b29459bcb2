/**
 * "rpc" as the insurer serves it: JSON-RPC 2.0 on POST /rpc. Errors carry JSON-RPC codes but
 * also an HTTP status, as most such gateways do, so a client can classify them without a body.
 * The client's quote reference is the `ClientToken` param of `osago.calculate`.
 */
import type { Application, Driver } from '../../lib/application/types';
import type { Coefficients } from '../../lib/tariff/types';
import { DOC_TYPES, DecodeError, bool, compact, int, isoDate, list, num, obj, oneOf, optReference, optStr, parseJson, str } from './decode';
import type { ParsedRequest, Reply, ServerDialect, WireRequest } from './types';

const FACTOR_CODES: Readonly<Record<keyof Coefficients, string>> = {
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
// JSON-RPC reserves -32768…-32000; -32000…-32099 are left to the server
const SERVER_CODES: Readonly<Record<number, number>> = { 404: -32004, 429: -32029, 500: -32000, 503: -32003 };

type RpcId = string | number | null;

const ok = (id: unknown, result: object): Reply => ({ status: 200, body: { jsonrpc: '2.0', id: rpcId(id), result } });
const fail = (status: number, id: unknown, code: number, message: string, data?: unknown): Reply => ({
  status,
  body: { jsonrpc: '2.0', id: rpcId(id), error: compact({ code, message, data }) },
});

function rpcId(id: unknown): RpcId {
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

export const rpcServer: ServerDialect = {
  parse(req: WireRequest): ParsedRequest {
    if (req.path !== '/rpc' || req.method !== 'POST') {
      return { op: 'reply', reply: fail(404, null, -32601, `no endpoint ${req.method} ${req.path}`) };
    }
    const json = parseJson(req.body);
    if (!json.ok) return { op: 'reply', reply: fail(400, null, -32700, 'Parse error') };
    const call = json.value;
    if (typeof call !== 'object' || call === null || Array.isArray(call)) {
      return { op: 'reply', reply: fail(400, null, -32600, 'Invalid Request') };
    }
    const { jsonrpc, id, method, params } = call as Record<string, unknown>;
    if (jsonrpc !== '2.0' || typeof method !== 'string') return { op: 'reply', reply: fail(400, id, -32600, 'Invalid Request') };
    try {
      if (method === 'osago.calculate') {
        return { op: 'create', application: decodeRpc(params), reference: optReference(obj(params, 'params').ClientToken, 'ClientToken'), tag: id };
      }
      if (method === 'osago.status') return { op: 'poll', id: str(obj(params, 'params'), 'Ticket', 'params'), tag: id };
    } catch (e) {
      if (e instanceof DecodeError) return { op: 'reply', reply: fail(400, id, -32602, 'Invalid params', { field: e.field, problem: e.problem }) };
      throw e;
    }
    return { op: 'reply', reply: fail(404, id, -32601, `Method not found: ${method}`) };
  },

  accepted: (tag, id, ms) => ok(tag, { Ticket: id, State: 'Pending', PollAfterMs: ms }),
  processing: (tag, id, ms) => ok(tag, { Ticket: id, State: 'Pending', PollAfterMs: ms }),
  offer: (tag, id, o) =>
    ok(tag, {
      Ticket: id,
      State: 'Calculated',
      Calculation: {
        Premium: { Amount: o.premium.toFixed(2), Currency: 'RUB' },
        OfferNumber: o.offerId,
        ExpiresAt: moscowIso(o.validUntil),
        Factors: (Object.keys(FACTOR_CODES) as (keyof Coefficients)[]).map((k) => ({ Code: FACTOR_CODES[k], Value: o.coefficients[k] })),
        Drivers: o.drivers.map((d) => ({
          Index: d.index,
          KbmClass: d.kbmClass,
          Factors: [
            { Code: FACTOR_CODES.kbm, Value: d.kbm },
            { Code: FACTOR_CODES.kvs, Value: d.kvs },
          ],
          IsApplied: d.applied,
        })),
        Territory: { Base: o.territory.base, Multiplier: o.territory.multiplier },
      },
    }),
  declined: (tag, id, reason) => ok(tag, compact({ Ticket: id, State: 'Refused', RefusalReason: reason })),
  invalid: (tag, message) => fail(400, tag, -32602, 'Invalid params', { problem: message }),
  unknownId: (tag, id) => fail(404, tag, SERVER_CODES[404], `Unknown ticket ${id}`),
  failure: (status, message) => fail(status, null, SERVER_CODES[status] ?? -32000, message),
};

/** "2026-11-25T15:00:03.120+03:00": the gateway reports in Moscow time with its offset. */
function moscowIso(t: Date): string {
  return `${new Date(t.getTime() + 3 * 3600_000).toISOString().slice(0, 23)}+03:00`;
}

function decodeRpc(params: unknown): Application {
  const p = obj(params, 'params');
  const v = obj(p.Vehicle, 'Vehicle');
  const doc = obj(v.Document, 'Vehicle.Document');
  const ins = obj(p.Insurant, 'Insurant');
  const idDoc = obj(ins.IdentityDocument, 'Insurant.IdentityDocument');
  const period = obj(p.Period, 'Period');
  return {
    vehicle: compact({
      vin: optStr(v, 'Vin', 'Vehicle'),
      bodyNumber: optStr(v, 'BodyNumber', 'Vehicle'),
      chassisNumber: optStr(v, 'ChassisNumber', 'Vehicle'),
      plate: optStr(v, 'RegNumber', 'Vehicle'),
      make: str(v, 'Brand', 'Vehicle'),
      model: str(v, 'Model', 'Vehicle'),
      year: int(v, 'Year', 'Vehicle'),
      enginePowerHp: num(v, 'PowerHp', 'Vehicle'),
      category: oneOf(v.Category, ['B'] as const, 'Vehicle.Category'),
      document: compact({
        type: oneOf(doc.Kind, DOC_TYPES, 'Vehicle.Document.Kind'),
        series: optStr(doc, 'Series', 'Vehicle.Document'),
        number: str(doc, 'Number', 'Vehicle.Document'),
        issuedAt: isoDate(doc, 'IssueDate', 'Vehicle.Document'),
      }),
    }),
    owner: compact({
      lastName: str(ins, 'Surname', 'Insurant'),
      firstName: str(ins, 'Name', 'Insurant'),
      middleName: optStr(ins, 'Patronymic', 'Insurant'),
      birthDate: isoDate(ins, 'BirthDate', 'Insurant'),
      passport: {
        series: str(idDoc, 'Series', 'Insurant.IdentityDocument'),
        number: str(idDoc, 'Number', 'Insurant.IdentityDocument'),
        issuedAt: isoDate(idDoc, 'IssueDate', 'Insurant.IdentityDocument'),
      },
      registrationRegion: str(ins, 'RegionCode', 'Insurant'),
    }),
    drivers: list(p, 'Drivers').map((d, i) => decodeDriver(d, `Drivers.${i}`)),
    unlimitedDrivers: bool(p, 'DriversUnlimited'),
    policy: { startDate: isoDate(period, 'Start', 'Period'), periodMonths: int(period, 'UsageMonths', 'Period') },
  };
}

function decodeDriver(raw: unknown, at: string): Driver {
  const d = obj(raw, at);
  const lic = obj(d.License, `${at}.License`);
  return compact({
    lastName: str(d, 'Surname', at),
    firstName: str(d, 'Name', at),
    middleName: optStr(d, 'Patronymic', at),
    birthDate: isoDate(d, 'BirthDate', at),
    license: {
      series: str(lic, 'Series', `${at}.License`),
      number: str(lic, 'Number', `${at}.License`),
      issuedAt: isoDate(lic, 'IssueDate', `${at}.License`),
    },
    experienceSince: isoDate(d, 'ExperienceStart', at),
  });
}
