import { addYears, wholeYearsBetween } from '../../lib/dates';

describe('whole years: one rule for every anniversary (29 February → 28 February in a common year)', () => {
  it.each([
    // [from, to, whole years]
    ['2004-02-29', '2025-02-27', 20],
    ['2004-02-29', '2025-02-28', 21], // the anniversary in a common year
    ['2004-02-29', '2025-03-01', 21],
    ['2004-02-29', '2028-02-28', 23], // a leap year: the anniversary is the 29th
    ['2004-02-29', '2028-02-29', 24],
    ['2000-02-28', '2001-02-27', 0],
    ['2000-02-28', '2001-02-28', 1],
    ['1985-03-12', '2026-03-11', 40],
    ['1985-03-12', '2026-03-12', 41],
    ['2026-12-01', '2026-12-01', 0],
  ])('%s → %s: %d', (from, to, years) => {
    expect(wholeYearsBetween(from, to)).toBe(years);
  });

  it.each([
    ['2004-02-29', 1, '2005-02-28'],
    ['2004-02-29', 4, '2008-02-29'],
    ['2004-02-29', 21, '2025-02-28'],
    ['1999-12-31', 20, '2019-12-31'],
  ])('addYears(%s, %d) = %s', (date, years, expected) => {
    expect(addYears(date, years)).toBe(expected);
  });

  it('agree for every birth date of a leap and a common year: a person is N on addYears(birth, N) and N-1 the day before', () => {
    for (const year of [2003, 2004]) {
      for (let day = 0; day < 366; day++) {
        const birth = new Date(Date.UTC(year, 0, 1 + day)).toISOString().slice(0, 10);
        if (!birth.startsWith(String(year))) continue;
        for (const n of [1, 14, 18, 20, 21, 45]) {
          const anniversary = addYears(birth, n);
          const dayBefore = new Date(Date.parse(anniversary) - 86_400_000).toISOString().slice(0, 10);
          expect({ birth, n, on: wholeYearsBetween(birth, anniversary) }).toEqual({ birth, n, on: n });
          expect({ birth, n, before: wholeYearsBetween(birth, dayBefore) }).toEqual({ birth, n, before: n - 1 });
        }
      }
    }
  });

  it('refuses what is not a date', () => {
    expect(() => wholeYearsBetween('2025-02-30', '2026-01-01')).toThrow(RangeError);
    expect(() => addYears('nope', 1)).toThrow(RangeError);
  });
});
