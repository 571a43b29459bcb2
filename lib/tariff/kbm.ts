/** КБМ: the coefficient of a bonus-malus class, and the sandbox's stand-in for the RSA AIS lookup. */
import { toCyrillic } from '../application/normalize';
import type { IsoDate } from '../application/types';
import { KBM_TABLES, inForce } from './tables';
import type { KbmClass } from './types';

export const KBM_CLASSES: readonly KbmClass[] = ['M', 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];

export function kbmCoefficient(cls: KbmClass, on: IsoDate): number {
  const kbm = inForce(KBM_TABLES, on, 'КБМ').byClass[`${cls}`];
  if (kbm === undefined) throw new RangeError(`no КБМ class ${String(cls)}`);
  return kbm;
}

/*
 * How often each class comes out, per 10 000 people. Shaped like a real portfolio as far as the
 * brief asks: most people between 3 (no history) and 8, a long accident-free tail to 13, and the
 * malus classes М, 0, 1, 2 rare (2 % together). Not calibrated against RSA statistics.
 */
const CLASS_WEIGHTS: readonly (readonly [KbmClass, number])[] = [
  ['M', 20], [0, 30], [1, 50], [2, 100],
  [3, 1600], [4, 1300], [5, 1200], [6, 1100], [7, 1000], [8, 900],
  [9, 700], [10, 600], [11, 500], [12, 400], [13, 500],
];
const WEIGHT_TOTAL = CLASS_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

const UTF8 = new TextEncoder();

/**
 * A deterministic pseudo-class for a licence (or passport) series + number, since the sandbox has
 * no RSA database: the same document gets the same class from every insurer, every time.
 * The string is normalised (upper case, separators dropped, Latin look-alikes made Cyrillic),
 * hashed with 32-bit FNV-1a over its UTF-8 bytes, then put through murmur3's finaliser because
 * FNV alone leaves neighbouring numbers (…001, …002) in neighbouring buckets. The hash modulo the
 * weight total picks a slot in CLASS_WEIGHTS' cumulative distribution.
 */
export function deriveKbmClass(documentKey: string): KbmClass {
  const slot = mix32(fnv1a32(normaliseDocumentKey(documentKey))) % WEIGHT_TOTAL;
  let cumulative = 0;
  for (const [cls, weight] of CLASS_WEIGHTS) {
    cumulative += weight;
    if (slot < cumulative) return cls;
  }
  throw new Error('unreachable: slot beyond the class weights');
}

/** Every separator goes, not only the whitespace `compactUpper` drops: "77ab-123456" is "77АВ123456". */
function normaliseDocumentKey(key: string): string {
  // Latin look-alikes of the Cyrillic letters allowed in document series, so "77AB" and "77АВ" agree
  return toCyrillic(key.toUpperCase().replace(/[^\p{L}\p{N}]/gu, ''));
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of UTF8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
