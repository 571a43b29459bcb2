/**
 * What logs may show of personal data: under a personal key (lib/personal-data/split.ts), at most
 * the first character ("И*****"). Applied by key name wherever it sits, so params logged by
 * moleculer-web, the broker or our own code are masked without each caller knowing the shape.
 */
import util from 'node:util';
import { PERSONAL_KEYS } from './split';

const MAX_DEPTH = 12;

function maskText(value: string): string {
  return value.length <= 1 ? '*' : `${value[0]}${'*'.repeat(value.length - 1)}`;
}

function maskLeaf(value: unknown): unknown {
  if (typeof value === 'string') return maskText(value);
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  return '***';
}

/** A copy of `value` with every personal key's value masked; the value itself is not changed. */
export function maskPersonal(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => maskPersonal(item, depth + 1, seen));
  if (Buffer.isBuffer(value) || value instanceof Date) return value;
  // an error keeps its class, message and stack for the reader; its own fields (data, params) are masked
  const copy: Record<string, unknown> = value instanceof Error ? Object.create(Object.getPrototypeOf(value)) : {};
  if (value instanceof Error) Object.defineProperties(copy, { message: { value: value.message, enumerable: false, writable: true, configurable: true }, stack: { value: value.stack, enumerable: false, writable: true, configurable: true } });
  for (const [key, item] of Object.entries(value)) {
    copy[key] = PERSONAL_KEYS.has(key) ? maskAll(item, depth + 1) : maskPersonal(item, depth + 1, seen);
  }
  return copy;
}

/** Under a personal key everything is personal, however it is shaped (`lastName: ['Иванов']`). */
function maskAll(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return maskLeaf(value);
  if (depth > MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => maskAll(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskAll(item, depth + 1)]));
}

/** The broker logger's object printer (moleculer.config.ts): Moleculer's own, over a masked copy. */
export function maskedObjectPrinter(colors: boolean): (value: unknown) => string {
  return (value) => util.inspect(maskPersonal(value), { showHidden: false, depth: 2, colors, breakLength: Number.POSITIVE_INFINITY });
}
