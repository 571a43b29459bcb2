/** Calendar-date helpers on `YYYY-MM-DD` strings: no time zones, no Date arithmetic surprises. */
import type { IsoDate } from './application/types';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface CalendarDate {
  year: number;
  month: number; // 1..12
  day: number;
}

/** A real calendar date (`2019-02-30` is not), else undefined. */
export function parseIsoDate(value: unknown): CalendarDate | undefined {
  if (typeof value !== 'string') return undefined;
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return undefined;
  if (day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Whole years from `from` to `to` (age on a date): an anniversary counts on its day, and the
 * anniversary of 29 February falls on 28 February in a common year (the civil code's count, the
 * same as `addYears`, so "turns 18 on addYears(birth, 18)" holds for every birth date).
 */
export function wholeYearsBetween(from: IsoDate, to: IsoDate): number {
  const a = parseIsoDate(from);
  const b = parseIsoDate(to);
  if (!a || !b) throw new RangeError(`not an ISO date: ${!a ? from : to}`);
  const years = b.year - a.year;
  return compareIsoDates(addYears(from, years), to) > 0 ? years - 1 : years;
}

/** The date `years` after `date`; 29 Feb lands on 28 Feb in a common year. */
export function addYears(date: IsoDate, years: number): IsoDate {
  const d = parseIsoDate(date);
  if (!d) throw new RangeError(`not an ISO date: ${date}`);
  const year = d.year + years;
  const day = Math.min(d.day, daysInMonth(year, d.month));
  return formatIsoDate({ year, month: d.month, day });
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const d = parseIsoDate(date);
  if (!d) throw new RangeError(`not an ISO date: ${date}`);
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return t.toISOString().slice(0, 10);
}

export function formatIsoDate(d: CalendarDate): IsoDate {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** ISO dates compare correctly as strings once both are valid. */
export function compareIsoDates(a: IsoDate, b: IsoDate): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Today's date where policies are sold: Moscow, UTC+3 all year. */
export function todayInMoscow(now: Date = new Date()): IsoDate {
  return new Date(now.getTime() + 3 * 3600_000).toISOString().slice(0, 10);
}
