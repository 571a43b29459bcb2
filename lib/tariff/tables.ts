/**
 * OSAGO coefficient tables (OSAGO.md) as versioned data. Each version carries the date it takes
 * effect; a lookup picks the latest version whose `effectiveFrom` is not after the date asked, so a
 * future Bank of Russia change is one more entry, not an edit of old numbers. Asking for a date
 * before the first version is a RangeError: we would rather refuse than price by a guess.
 */
import type { IsoDate } from '../application/types';
import { parseIsoDate } from '../dates';
import { regionOf } from './regions';
import type { BaseRateCorridor, KbmClass, TerritoryFactor } from './types';

interface Versioned {
  effectiveFrom: IsoDate;
}

export function inForce<T extends Versioned>(versions: readonly T[], on: IsoDate, what: string): T {
  if (!parseIsoDate(on)) throw new RangeError(`not an ISO date: ${on}`);
  let found: T | undefined;
  // ISO dates order as strings; versions need not be sorted
  for (const v of versions) {
    if (v.effectiveFrom <= on && (!found || v.effectiveFrom > found.effectiveFrom)) found = v;
  }
  if (!found) throw new RangeError(`no ${what} table in force on ${on}`);
  return found;
}

/** ТБ corridor, category B, individuals. */
const BASE_RATE_CORRIDORS: readonly BaseRateCorridor[] = [
  { effectiveFrom: '2022-09-01', min: 1646, max: 7535 },
  { effectiveFrom: '2025-12-09', min: 1399, max: 8665 },
];

type KbmKey = `${KbmClass}`;

export const KBM_TABLES: readonly (Versioned & { byClass: Readonly<Record<KbmKey, number>> })[] = [
  {
    effectiveFrom: '2022-04-01',
    byClass: {
      M: 3.92, 0: 2.94, 1: 2.25, 2: 1.76, 3: 1.17, 4: 1.0, 5: 0.91, 6: 0.83,
      7: 0.78, 8: 0.74, 9: 0.68, 10: 0.63, 11: 0.57, 12: 0.52, 13: 0.46,
    },
  },
];

/*
 * OSAGO.md dates КВС, КМ, КС and КО only as "since 2022"; 2022-01-01 is our approximation of the
 * start, not a verified legal date. It only matters for quotes dated in early 2022.
 */
const SINCE_2022: IsoDate = '2022-01-01';

interface KvsTable extends Versioned {
  ageFrom: readonly number[]; // lower bound of each age row, years
  experienceFrom: readonly number[]; // lower bound of each experience column, years
  cells: readonly (readonly (number | null)[])[]; // null: "—", experience the law cannot produce
}

const KVS_TABLES: readonly KvsTable[] = [
  {
    effectiveFrom: SINCE_2022,
    ageFrom: [16, 22, 25, 30, 35, 40, 50, 60],
    experienceFrom: [0, 1, 2, 3, 5, 7, 10, 15],
    cells: [
      [2.27, 1.92, 1.84, 1.65, 1.62, null, null, null],
      [1.88, 1.72, 1.71, 1.13, 1.1, 1.09, null, null],
      [1.72, 1.6, 1.54, 1.09, 1.08, 1.07, 1.02, null],
      [1.56, 1.5, 1.48, 1.05, 1.04, 1.01, 0.97, 0.95],
      [1.54, 1.47, 1.46, 1.0, 0.97, 0.95, 0.94, 0.93],
      [1.5, 1.44, 1.43, 0.96, 0.95, 0.94, 0.93, 0.91],
      [1.46, 1.4, 1.39, 0.93, 0.92, 0.91, 0.9, 0.86],
      [1.43, 1.36, 1.35, 0.91, 0.9, 0.89, 0.88, 0.83],
    ],
  },
];

/*
 * КТ by territory, three versions (OSAGO.md). v1 keys КТ by the region code and takes the regional
 * centre's value. Each version is written out whole, as it stood from its date; a correction
 * multiplier is its own factor (Bank of Russia directive 7204-U: ×2 for territories of the
 * Novosibirsk oblast from 9 December 2025), so a breakdown can show it. OSAGO.md also names three
 * territories of Ingushetia under the multiplier but gives no value for the region code's regional
 * centre, so Ingushetia keeps the fallback like every region the table does not list.
 */
interface TerritoryRate {
  base: number;
  multiplier?: number; // 1 when absent
}

const KT_FROM_2022: Readonly<Record<string, TerritoryRate>> = {
  'Москва': { base: 1.8 },
  'Московская область': { base: 1.56 },
  'Санкт-Петербург': { base: 1.64 },
  'Республика Татарстан': { base: 1.8 },
  'Челябинская область': { base: 1.88 },
  'Новосибирская область': { base: 1.56 },
  'Свердловская область': { base: 1.64 },
  'Нижегородская область': { base: 1.64 },
  'Краснодарский край': { base: 1.64 },
  'Самарская область': { base: 1.48 },
};

const KT_FROM_2025_01_27: Readonly<Record<string, TerritoryRate>> = {
  ...KT_FROM_2022,
  'Республика Татарстан': { base: 1.7 },
  'Челябинская область': { base: 1.77 },
  'Нижегородская область': { base: 1.56 },
  'Краснодарский край': { base: 1.56 },
};

const KT_FROM_2025_12_09: Readonly<Record<string, TerritoryRate>> = {
  ...KT_FROM_2025_01_27,
  'Новосибирская область': { base: 1.56, multiplier: 2 },
};

export const TERRITORY_TABLES: readonly (Versioned & { bySubject: Readonly<Record<string, TerritoryRate>>; fallback: number })[] = [
  { effectiveFrom: '2022-01-09', fallback: 1.0, bySubject: KT_FROM_2022 },
  { effectiveFrom: '2025-01-27', fallback: 1.0, bySubject: KT_FROM_2025_01_27 },
  { effectiveFrom: '2025-12-09', fallback: 1.0, bySubject: KT_FROM_2025_12_09 },
];

/** КМ bands as inclusive upper bounds, so fractional hp such as 70.5 falls in the next band up. */
const POWER_TABLES: readonly (Versioned & { bands: readonly { upToHp: number; km: number }[] })[] = [
  {
    effectiveFrom: SINCE_2022,
    bands: [
      { upToHp: 50, km: 0.6 },
      { upToHp: 70, km: 1.0 },
      { upToHp: 100, km: 1.1 },
      { upToHp: 120, km: 1.2 },
      { upToHp: 150, km: 1.4 },
      { upToHp: Infinity, km: 1.6 },
    ],
  },
];

const SEASON_TABLES: readonly (Versioned & { byMonths: Readonly<Record<number, number>> })[] = [
  {
    effectiveFrom: SINCE_2022,
    byMonths: { 3: 0.5, 4: 0.6, 5: 0.65, 6: 0.7, 7: 0.8, 8: 0.9, 9: 0.95, 10: 1.0, 11: 1.0, 12: 1.0 },
  },
];

const OWNERSHIP_TABLES: readonly (Versioned & { limited: number; unlimited: number })[] = [
  { effectiveFrom: SINCE_2022, limited: 1.0, unlimited: 2.32 },
];

export function baseRateCorridor(on: IsoDate): BaseRateCorridor {
  return { ...inForce(BASE_RATE_CORRIDORS, on, 'base-rate corridor') };
}

/**
 * The КВС cell for an age × experience (whole years) in the table in force on `on`, or null where
 * the table has none: "—" (experience the law cannot produce at that age), or below its first row
 * or column. Validation and pricing both ask this, so one table decides what is possible.
 */
export function kvsCell(ageYears: number, experienceYears: number, on: IsoDate): number | null {
  const t = inForce(KVS_TABLES, on, 'КВС');
  if (!Number.isInteger(ageYears) || !Number.isInteger(experienceYears)) {
    throw new RangeError(`КВС takes whole years: age ${ageYears}, experience ${experienceYears}`);
  }
  const row = lastAtMost(t.ageFrom, ageYears);
  const col = lastAtMost(t.experienceFrom, experienceYears);
  return row < 0 || col < 0 ? null : t.cells[row][col];
}

export function kvsCoefficient(ageYears: number, experienceYears: number, on: IsoDate): number {
  const kvs = kvsCell(ageYears, experienceYears, on);
  if (kvs === null) throw new RangeError(`no КВС for age ${ageYears} with ${experienceYears} years of experience`);
  return kvs;
}

/** Index of the last lower bound ≤ value, -1 when value is below them all. */
function lastAtMost(lowerBounds: readonly number[], value: number): number {
  let i = -1;
  while (i + 1 < lowerBounds.length && lowerBounds[i + 1] <= value) i += 1;
  return i;
}

/**
 * КТ's parts for a registration region on a day: a region the table lists gets its value, any
 * other real region the fallback; a code that is no region is a RangeError (validation refuses it
 * first).
 */
export function territoryFactor(region: string, on: IsoDate): TerritoryFactor {
  const t = inForce(TERRITORY_TABLES, on, 'КТ');
  const subject = regionOf(region);
  if (subject === undefined) throw new RangeError(`no region with code ${region}`);
  const rate = Object.hasOwn(t.bySubject, subject) ? t.bySubject[subject] : { base: t.fallback };
  return { base: rate.base, multiplier: rate.multiplier ?? 1 };
}

/** The effective КТ, base × multiplier, to the precision the tables have (no binary residue). */
export function territoryCoefficient(region: string, on: IsoDate): number {
  return effectiveTerritoryCoefficient(territoryFactor(region, on));
}

export function effectiveTerritoryCoefficient({ base, multiplier }: TerritoryFactor): number {
  return Number((base * multiplier).toFixed(6));
}

export function powerCoefficient(hp: number, on: IsoDate): number {
  const t = inForce(POWER_TABLES, on, 'КМ');
  if (!Number.isFinite(hp) || hp <= 0) throw new RangeError(`no КМ for ${hp} hp`);
  const band = t.bands.find((b) => hp <= b.upToHp);
  if (!band) throw new RangeError(`no КМ for ${hp} hp`);
  return band.km;
}

export function seasonCoefficient(months: number, on: IsoDate): number {
  const t = inForce(SEASON_TABLES, on, 'КС');
  const ks = Number.isInteger(months) ? t.byMonths[months] : undefined;
  if (ks === undefined) throw new RangeError(`no КС for ${months} months of use`);
  return ks;
}

export function ownershipCoefficient(unlimitedDrivers: boolean, on: IsoDate): number {
  const t = inForce(OWNERSHIP_TABLES, on, 'КО');
  return unlimitedDrivers ? t.unlimited : t.limited;
}
