/**
 * Strict readers for insurer answers. Every dialect funnels through these so a body that does not
 * fit fails loudly as a WireFormatError (the insurer broke its contract) instead of leaking
 * undefined or NaN into a quote.
 */
import { WireFormatError } from '../adapter';
import type { Coefficients, DriverRating, TerritoryFactor } from '../../tariff/types';
import { KBM_CLASSES } from '../../tariff/kbm';

export type WireRecord = Record<string, unknown>;

export function record(value: unknown, what: string, body: unknown): WireRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireFormatError(`${what}: expected an object`, body);
  }
  return value as WireRecord;
}

export function text(obj: WireRecord, key: string, body: unknown): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.trim() === '') throw new WireFormatError(`${key}: expected a non-empty string`, body);
  return v;
}

/** A poll hint is advisory: a missing one is fine, a nonsensical one is a broken contract. */
export function optionalDelayMs(obj: WireRecord, key: string, body: unknown): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new WireFormatError(`${key}: expected a non-negative number of milliseconds`, body);
  }
  return Math.round(v);
}

/** Roubles with at most two decimals, as CONTRACT §4 promises downstream. */
export function roubles(value: number, what: string, body: unknown): number {
  if (!Number.isFinite(value) || value <= 0) throw new WireFormatError(`${what}: expected a positive amount`, body);
  return Math.round(value * 100) / 100;
}

/** Any instant the insurer wrote, normalised to ISO 8601 UTC. */
export function instant(value: unknown, what: string, body: unknown): string {
  const t = typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(t)) throw new WireFormatError(`${what}: expected an instant`, body);
  return new Date(t).toISOString();
}

export const COEFFICIENT_KEYS: readonly (keyof Coefficients)[] = ['tb', 'kt', 'kbm', 'kvs', 'ko', 'km', 'ks', 'kn', 'kpr'];

/** Builds Coefficients from a dialect's own names: `names[k]` is the insurer's key for our `k`. */
export function coefficients(
  source: WireRecord,
  names: Readonly<Record<keyof Coefficients, string>>,
  read: (raw: unknown, key: string) => number,
): Coefficients {
  const out = {} as Coefficients;
  for (const k of COEFFICIENT_KEYS) out[k] = read(source[names[k]], names[k]);
  return out;
}

export function positiveNumber(raw: unknown, key: string, body: unknown): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0) {
    throw new WireFormatError(`${key}: expected a positive number`, body);
  }
  return raw;
}

/** JSON's two ways of saying "not given". */
export function absent(raw: unknown): raw is null | undefined {
  return raw === undefined || raw === null;
}

export function list(raw: unknown, key: string, body: unknown): unknown[] {
  if (!Array.isArray(raw)) throw new WireFormatError(`${key}: expected a list`, body);
  return raw;
}

export function flag(raw: unknown, key: string, body: unknown): boolean {
  if (typeof raw !== 'boolean') throw new WireFormatError(`${key}: expected true or false`, body);
  return raw;
}

/** A position in the application's `drivers`. */
export function driverIndex(raw: unknown, key: string, body: unknown): number {
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    throw new WireFormatError(`${key}: expected a non-negative whole number`, body);
  }
  return raw;
}

/** The tariff's classes as they travel: strings. */
const KBM_CLASS_NAMES: readonly string[] = KBM_CLASSES.map(String);

/** Always a string on our side, 'M' or '0' … '13', so a class 0 and a missing one cannot be confused. */
export function kbmClass(raw: unknown, key: string, body: unknown): string {
  if (typeof raw !== 'string' || !KBM_CLASS_NAMES.includes(raw)) {
    throw new WireFormatError(`${key}: expected a КБМ class, one of ${KBM_CLASS_NAMES.join(', ')}`, body);
  }
  return raw;
}

/**
 * The checks no single entry can make: one rating per driver, and one driver at most whose
 * КБМ × КВС the policy takes (none only when the list is empty or the insurer does not say).
 */
export function driverRatings(ratings: DriverRating[], key: string, body: unknown): DriverRating[] {
  const indexes = new Set<number>();
  for (const r of ratings) {
    if (indexes.has(r.index)) throw new WireFormatError(`${key}: driver ${r.index} rated twice`, body);
    indexes.add(r.index);
  }
  if (ratings.filter((r) => r.applied).length > 1) throw new WireFormatError(`${key}: more than one driver applied`, body);
  return ratings;
}

/** A dialect's names for a driver rating's fields: `names[k]` is the insurer's key for our `k`. */
export type RatingNames = Readonly<Record<keyof DriverRating, string>>;

/** The list at `key` of driver ratings in an object shape with the dialect's own names, checked entry by entry and as a whole. */
export function namedDriverRatings(raw: unknown, key: string, names: RatingNames, body: unknown): DriverRating[] {
  const ratings = list(raw, key, body).map((entry, i): DriverRating => {
    const at = `${key}.${i}`;
    const d = record(entry, at, body);
    return {
      index: driverIndex(d[names.index], `${at}.${names.index}`, body),
      kbmClass: kbmClass(d[names.kbmClass], `${at}.${names.kbmClass}`, body),
      kbm: positiveNumber(d[names.kbm], `${at}.${names.kbm}`, body),
      kvs: positiveNumber(d[names.kvs], `${at}.${names.kvs}`, body),
      applied: flag(d[names.applied], `${at}.${names.applied}`, body),
    };
  });
  return driverRatings(ratings, key, body);
}

/** КТ's parts; `keys` are the dialect's names for base and multiplier. */
export function territory(base: unknown, multiplier: unknown, keys: readonly [string, string], body: unknown): TerritoryFactor {
  return { base: positiveNumber(base, keys[0], body), multiplier: positiveNumber(multiplier, keys[1], body) };
}

/** For dialects that flatten КТ's parts: both or neither; one without the other is a broken contract. */
export function optionalTerritory(
  base: unknown,
  multiplier: unknown,
  keys: readonly [string, string],
  body: unknown,
): TerritoryFactor | undefined {
  return absent(base) && absent(multiplier) ? undefined : territory(base, multiplier, keys, body);
}

/** Leaves territory out rather than undefined, so offers compare cleanly and serialise without it. */
export function withTerritory<T extends object>(offer: T, factor: TerritoryFactor | undefined): T & { territory?: TerritoryFactor } {
  return factor === undefined ? offer : { ...offer, territory: factor };
}

/** Leaves retryAfterMs out rather than undefined, so outcomes compare cleanly. */
export function withHint<T extends object>(outcome: T, retryAfterMs: number | undefined): T & { retryAfterMs?: number } {
  return retryAfterMs === undefined ? outcome : { ...outcome, retryAfterMs };
}
