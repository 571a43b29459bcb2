/**
 * Strict readers for request bodies. The first misfit throws a DecodeError naming the field in
 * the dialect's own spelling, which the dialect turns into its 400.
 */
import type { IsoDate, VehicleDocumentType } from '../../lib/application/types';
import { formatIsoDate, parseIsoDate } from '../../lib/dates';
import type { CreateRequest, ParsedRequest, Reply } from './types';

export type Rec = Record<string, unknown>;

export const DOC_TYPES: readonly VehicleDocumentType[] = ['STS', 'PTS', 'EPTS'];

// what real idempotency keys are held to (Stripe's, the IETF draft's examples); it also bounds
// what a client can make the sandbox remember per quote
const MAX_REFERENCE_LENGTH = 255;

export class DecodeError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'DecodeError';
  }
}

const path = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** A create body: JSON, then the dialect's decoder; either failure becomes the dialect's own reply. */
export function decodeBody(
  text: string,
  decode: (body: unknown) => CreateRequest,
  onBadJson: () => Reply,
  onDecodeError: (e: DecodeError) => Reply,
): ParsedRequest {
  const json = parseJson(text);
  if (!json.ok) return { op: 'reply', reply: onBadJson() };
  try {
    return { op: 'create', ...decode(json.value) };
  } catch (e) {
    if (e instanceof DecodeError) return { op: 'reply', reply: onDecodeError(e) };
    throw e;
  }
}

export function obj(value: unknown, field: string): Rec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DecodeError(field || 'body', 'expected an object');
  return value as Rec;
}

export function str(o: Rec, key: string, prefix = ''): string {
  const v = o[key];
  if (typeof v !== 'string' || v.trim() === '') throw new DecodeError(path(prefix, key), 'expected a non-empty string');
  return v;
}

export function optStr(o: Rec, key: string, prefix = ''): string | undefined {
  return o[key] === undefined || o[key] === null ? undefined : str(o, key, prefix);
}

/** A quote reference: absent is allowed (no deduplication), present must be a usable key. */
export function optReference(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new DecodeError(field, 'expected a non-empty string');
  if (value.length > MAX_REFERENCE_LENGTH) throw new DecodeError(field, `at most ${MAX_REFERENCE_LENGTH} characters`);
  return value;
}

export function num(o: Rec, key: string, prefix = ''): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DecodeError(path(prefix, key), 'expected a number');
  return v;
}

export function int(o: Rec, key: string, prefix = ''): number {
  const v = num(o, key, prefix);
  if (!Number.isInteger(v)) throw new DecodeError(path(prefix, key), 'expected a whole number');
  return v;
}

export function bool(o: Rec, key: string, prefix = ''): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new DecodeError(path(prefix, key), 'expected true or false');
  return v;
}

export function isoDate(o: Rec, key: string, prefix = ''): IsoDate {
  const v = o[key];
  if (!parseIsoDate(v)) throw new DecodeError(path(prefix, key), 'expected a date YYYY-MM-DD');
  return v as IsoDate;
}

export function list(o: Rec, key: string, prefix = ''): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new DecodeError(path(prefix, key), 'expected a list');
  return v;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new DecodeError(field, `expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** "01.12.2026" → "2026-12-01", rejecting dates that do not exist. */
export function ruDate(value: string, field: string): IsoDate {
  const m = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(value);
  const d = m ? parseIsoDate(`${m[3]}-${m[2]}-${m[1]}`) : undefined;
  if (!d) throw new DecodeError(field, 'expected a date DD.MM.YYYY');
  return formatIsoDate(d);
}

/** Optional fields stay absent rather than present-but-undefined, like in a validated Application. */
export function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A path segment, or undefined when its percent-encoding is broken. */
export function segment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
