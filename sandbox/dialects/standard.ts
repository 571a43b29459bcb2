/**
 * "standard" as the insurer serves it: the application in our own camelCase shape, problem-style
 * errors, and poll answers that list every field, null when it does not apply. The client's
 * quote reference is `partnerRequestId` beside the application.
 */
import type { Application, Driver } from '../../lib/application/types';
import { DOC_TYPES, bool, compact, decodeBody, int, isoDate, list, num, obj, oneOf, optReference, optStr, segment, str } from './decode';
import type { CreateRequest, ParsedRequest, Reply, ServerDialect, WireRequest } from './types';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const problem = (status: number, detail: string, extra: object = {}): Reply => ({
  status,
  body: { title: TITLES[status] ?? 'Error', status, detail, ...extra },
});

const EMPTY = { premium: null, offerId: null, validUntil: null, coefficients: null, drivers: null, territory: null, reason: null };

export const standardServer: ServerDialect = {
  parse(req: WireRequest): ParsedRequest {
    if (req.method === 'POST' && req.path === '/applications') {
      return decodeBody(
        req.body,
        decodeCreate,
        () => problem(400, 'the body is not JSON'),
        (e) => problem(400, e.message, { errors: [{ field: e.field, message: e.problem }] }),
      );
    }
    const m = /^\/applications\/([^/]+)$/.exec(req.path);
    const id = m && segment(m[1]);
    if (req.method === 'GET' && id) return { op: 'poll', id };
    return { op: 'reply', reply: problem(404, `no route ${req.method} ${req.path}`) };
  },

  accepted: (_tag, id, retryAfterMs) => ({ status: 202, body: { id, status: 'processing', retryAfterMs } }),
  processing: (_tag, id, retryAfterMs) => ({ status: 200, body: { id, status: 'processing', ...EMPTY, retryAfterMs } }),
  offer: (_tag, id, o) => ({
    status: 200,
    body: {
      id,
      status: 'ready',
      ...EMPTY,
      premium: o.premium,
      offerId: o.offerId,
      validUntil: o.validUntil.toISOString(),
      coefficients: o.coefficients,
      drivers: o.drivers.map((d) => ({ index: d.index, kbmClass: d.kbmClass, kbm: d.kbm, kvs: d.kvs, applied: d.applied })),
      territory: { base: o.territory.base, multiplier: o.territory.multiplier },
    },
  }),
  declined: (_tag, id, reason) =>
    id === undefined ? { status: 200, body: { status: 'declined', reason } } : { status: 200, body: { id, status: 'declined', ...EMPTY, reason } },
  invalid: (_tag, message) => problem(400, message),
  unknownId: (_tag, id) => problem(404, `no application ${id}`),
  failure: (status, message) => problem(status, message),
};

function decodeCreate(body: unknown): CreateRequest {
  return { application: decodeStandard(body), reference: optReference(obj(body, 'body').partnerRequestId, 'partnerRequestId') };
}

function decodeStandard(body: unknown): Application {
  const b = obj(body, 'body');
  const v = obj(b.vehicle, 'vehicle');
  const doc = obj(v.document, 'vehicle.document');
  const owner = obj(b.owner, 'owner');
  const passport = obj(owner.passport, 'owner.passport');
  const policy = obj(b.policy, 'policy');
  return {
    vehicle: compact({
      vin: optStr(v, 'vin', 'vehicle'),
      bodyNumber: optStr(v, 'bodyNumber', 'vehicle'),
      chassisNumber: optStr(v, 'chassisNumber', 'vehicle'),
      plate: optStr(v, 'plate', 'vehicle'),
      make: str(v, 'make', 'vehicle'),
      model: str(v, 'model', 'vehicle'),
      year: int(v, 'year', 'vehicle'),
      enginePowerHp: num(v, 'enginePowerHp', 'vehicle'),
      category: oneOf(v.category, ['B'] as const, 'vehicle.category'),
      document: compact({
        type: oneOf(doc.type, DOC_TYPES, 'vehicle.document.type'),
        series: optStr(doc, 'series', 'vehicle.document'),
        number: str(doc, 'number', 'vehicle.document'),
        issuedAt: isoDate(doc, 'issuedAt', 'vehicle.document'),
      }),
    }),
    owner: compact({
      lastName: str(owner, 'lastName', 'owner'),
      firstName: str(owner, 'firstName', 'owner'),
      middleName: optStr(owner, 'middleName', 'owner'),
      birthDate: isoDate(owner, 'birthDate', 'owner'),
      passport: {
        series: str(passport, 'series', 'owner.passport'),
        number: str(passport, 'number', 'owner.passport'),
        issuedAt: isoDate(passport, 'issuedAt', 'owner.passport'),
      },
      registrationRegion: str(owner, 'registrationRegion', 'owner'),
    }),
    drivers: list(b, 'drivers').map((d, i) => decodeDriver(d, `drivers.${i}`)),
    unlimitedDrivers: bool(b, 'unlimitedDrivers'),
    policy: { startDate: isoDate(policy, 'startDate', 'policy'), periodMonths: int(policy, 'periodMonths', 'policy') },
  };
}

function decodeDriver(raw: unknown, at: string): Driver {
  const d = obj(raw, at);
  const lic = obj(d.license, `${at}.license`);
  return compact({
    lastName: str(d, 'lastName', at),
    firstName: str(d, 'firstName', at),
    middleName: optStr(d, 'middleName', at),
    birthDate: isoDate(d, 'birthDate', at),
    license: {
      series: str(lic, 'series', `${at}.license`),
      number: str(lic, 'number', `${at}.license`),
      issuedAt: isoDate(lic, 'issuedAt', `${at}.license`),
    },
    experienceSince: isoDate(d, 'experienceSince', at),
  });
}
