/**
 * "standard": the dialect most insurers speak. The create body is our own camelCase application
 * (CONTRACT §1) with the quote reference beside it as `partnerRequestId` (a create that repeats
 * one answers with the application the insurer already opened for it); the answers use our
 * words, so mapping is mostly checking.
 *   POST /applications        → 202 { id, status: "processing", retryAfterMs? } | 200 { status: "declined", reason }
 *   GET  /applications/{id}   → { status: "processing" | "ready" | "declined", premium, offerId, validUntil, coefficients, drivers, territory, reason, retryAfterMs? }
 * A ready answer rates each named driver, `drivers: [{ index, kbmClass: "M" | "0" … "13", kbm, kvs, applied }]`
 * (empty for an unlimited policy), and may state КТ's parts, `territory: { base, multiplier }` (null: not stated).
 */
import type { Application } from '../../application/types';
import { WireFormatError, type CreateOutcome, type InsurerAdapter, type PollOutcome } from '../adapter';
import type { Coefficients, TerritoryFactor } from '../../tariff/types';
import {
  COEFFICIENT_KEYS,
  absent,
  coefficients,
  namedDriverRatings,
  instant,
  optionalDelayMs,
  positiveNumber,
  record,
  roubles,
  territory,
  text,
  withHint,
  type RatingNames,
  withTerritory,
} from './wire';

const RATING_NAMES: RatingNames = { index: 'index', kbmClass: 'kbmClass', kbm: 'kbm', kvs: 'kvs', applied: 'applied' };

const SAME_NAMES = Object.fromEntries(COEFFICIENT_KEYS.map((k) => [k, k])) as Record<keyof Coefficients, string>;

export const standardAdapter: InsurerAdapter = {
  dialect: 'standard',

  createRequest(application: Application, reference: string) {
    return { method: 'POST', path: '/applications', body: { partnerRequestId: reference, ...application } };
  },

  parseCreated(body: unknown): CreateOutcome {
    const b = record(body, 'create answer', body);
    if (b.status === 'processing') {
      return withHint({ kind: 'accepted', externalId: text(b, 'id', body) }, optionalDelayMs(b, 'retryAfterMs', body));
    }
    if (b.status === 'declined') return { kind: 'declined', reason: text(b, 'reason', body) };
    throw new WireFormatError(`create answer: unknown status ${JSON.stringify(b.status)}`, body);
  },

  pollRequest(externalId: string) {
    return { method: 'GET', path: `/applications/${encodeURIComponent(externalId)}` };
  },

  parsePoll(body: unknown): PollOutcome {
    const b = record(body, 'poll answer', body);
    switch (b.status) {
      case 'processing':
        return withHint({ kind: 'processing' }, optionalDelayMs(b, 'retryAfterMs', body));
      case 'declined':
        return { kind: 'declined', reason: text(b, 'reason', body) };
      case 'ready':
        return withTerritory(
          {
            kind: 'offer',
            premium: roubles(positiveNumber(b.premium, 'premium', body), 'premium', body),
            offerId: text(b, 'offerId', body),
            validUntil: instant(b.validUntil, 'validUntil', body),
            coefficients: coefficients(record(b.coefficients, 'coefficients', body), SAME_NAMES, (raw, key) =>
              positiveNumber(raw, key, body),
            ),
            drivers: namedDriverRatings(b.drivers, 'drivers', RATING_NAMES, body),
          },
          readTerritory(b.territory, body),
        );
      default:
        throw new WireFormatError(`poll answer: unknown status ${JSON.stringify(b.status)}`, body);
    }
  },
};

function readTerritory(raw: unknown, body: unknown): TerritoryFactor | undefined {
  if (absent(raw)) return undefined;
  const t = record(raw, 'territory', body);
  return territory(t.base, t.multiplier, ['territory.base', 'territory.multiplier'], body);
}
