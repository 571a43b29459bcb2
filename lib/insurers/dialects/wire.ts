/**
 * Strict readers for insurer answers. Every dialect funnels through these so a body that does not
 * fit fails loudly as a WireFormatError (the insurer broke its contract) instead of leaking
 * undefined or NaN into a quote.
 */
import { WireFormatError } from '../adapter';
import type { Coefficients } from '../../tariff/types';

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

/** Leaves retryAfterMs out rather than undefined, so outcomes compare cleanly. */
export function withHint<T extends object>(outcome: T, retryAfterMs: number | undefined): T & { retryAfterMs?: number } {
  return retryAfterMs === undefined ? outcome : { ...outcome, retryAfterMs };
}
