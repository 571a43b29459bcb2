import type { Application, Driver } from '../../lib/application/types';
import {
  KBM_CLASSES,
  baseRateCorridor,
  computePremium,
  deriveKbmClass,
  kbmCoefficient,
  kvsCoefficient,
  ownershipCoefficient,
  powerCoefficient,
  quoteApplication,
  seasonCoefficient,
  tariffInputFromApplication,
  territoryCoefficient,
  territoryFactor,
  isRegionCode,
  regionOf,
  codesOf,
  type KbmClass,
  type TariffDriver,
  type TariffInput,
} from '../../lib/tariff';

// The expected values below are copied from OSAGO.md by hand, independently of lib/tariff/tables.ts.
const ON = '2025-06-01';
const AFTER_REFORM = '2026-01-15';

describe('КБМ', () => {
  it.each<[KbmClass, number]>([
    ['M', 3.92], [0, 2.94], [1, 2.25], [2, 1.76], [3, 1.17], [4, 1.0], [5, 0.91], [6, 0.83],
    [7, 0.78], [8, 0.74], [9, 0.68], [10, 0.63], [11, 0.57], [12, 0.52], [13, 0.46],
  ])('class %s → %d', (cls, kbm) => {
    expect(kbmCoefficient(cls, ON)).toBe(kbm);
    expect(kbmCoefficient(cls, AFTER_REFORM)).toBe(kbm);
  });

  it('lists all 15 classes', () => expect(KBM_CLASSES).toHaveLength(15));
  it('refuses an unknown class', () => expect(() => kbmCoefficient(14 as KbmClass, ON)).toThrow(RangeError));
  it('has no table before 2022-04-01', () => {
    expect(() => kbmCoefficient(3, '2022-03-31')).toThrow(RangeError);
    expect(kbmCoefficient(3, '2022-04-01')).toBe(1.17);
  });
});

describe('КВС', () => {
  // [lowest, highest] age and experience of each band; ≥ bands use a generous upper value
  const ages: [number, number][] = [[16, 21], [22, 24], [25, 29], [30, 34], [35, 39], [40, 49], [50, 59], [60, 90]];
  const years: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 4], [5, 6], [7, 9], [10, 14], [15, 60]];
  const _ = null;
  const table: (number | null)[][] = [
    [2.27, 1.92, 1.84, 1.65, 1.62, _, _, _],
    [1.88, 1.72, 1.71, 1.13, 1.10, 1.09, _, _],
    [1.72, 1.60, 1.54, 1.09, 1.08, 1.07, 1.02, _],
    [1.56, 1.50, 1.48, 1.05, 1.04, 1.01, 0.97, 0.95],
    [1.54, 1.47, 1.46, 1.00, 0.97, 0.95, 0.94, 0.93],
    [1.50, 1.44, 1.43, 0.96, 0.95, 0.94, 0.93, 0.91],
    [1.46, 1.40, 1.39, 0.93, 0.92, 0.91, 0.90, 0.86],
    [1.43, 1.36, 1.35, 0.91, 0.90, 0.89, 0.88, 0.83],
  ];
  const cells = table.flatMap((row, r) =>
    row.flatMap((kvs, c) => [
      [ages[r][0], years[c][0], kvs] as const,
      [ages[r][1], years[c][1], kvs] as const,
    ]),
  );

  it.each(cells.filter(([, , kvs]) => kvs !== null))('age %i, %i years → %d', (age, exp, kvs) => {
    expect(kvsCoefficient(age, exp, ON)).toBe(kvs);
  });

  it.each(cells.filter(([, , kvs]) => kvs === null))('age %i, %i years is "—": RangeError', (age, exp) => {
    expect(() => kvsCoefficient(age, exp, ON)).toThrow(RangeError);
  });

  it.each([
    [15, 0], [10, 0], [30, -1], [30.5, 5], [30, 5.5], [NaN, 5],
  ])('refuses age %d with %d years', (age, exp) => {
    expect(() => kvsCoefficient(age, exp, ON)).toThrow(RangeError);
  });
});

describe('КМ', () => {
  it.each([
    [1, 0.6], [50, 0.6], [50.5, 1.0], [51, 1.0], [70, 1.0], [70.5, 1.1], [71, 1.1], [100, 1.1],
    [101, 1.2], [120, 1.2], [121, 1.4], [150, 1.4], [150.01, 1.6], [151, 1.6], [600, 1.6],
  ])('%d hp → %d', (hp, km) => expect(powerCoefficient(hp, ON)).toBe(km));

  it.each([0, -10, NaN, Infinity])('refuses %d hp', (hp) => {
    expect(() => powerCoefficient(hp, ON)).toThrow(RangeError);
  });
});

describe('КС', () => {
  it.each([
    [3, 0.5], [4, 0.6], [5, 0.65], [6, 0.7], [7, 0.8], [8, 0.9], [9, 0.95], [10, 1.0], [11, 1.0], [12, 1.0],
  ])('%i months → %d', (months, ks) => expect(seasonCoefficient(months, ON)).toBe(ks));

  it.each([0, 1, 2, 13, 24, 6.5, -3])('refuses %d months', (months) => {
    expect(() => seasonCoefficient(months, ON)).toThrow(RangeError);
  });
});

describe('КТ, dated (OSAGO.md: three versions, a correction multiplier)', () => {
  // [territory's codes, from 2022-01-09, from 2025-01-27, from 2025-12-09 as base × multiplier]
  const table: [string, string[], number, number, [number, number]][] = [
    ['Moscow', ['77', '97', '99', '177', '197', '199', '777', '797', '799', '977'], 1.8, 1.8, [1.8, 1]],
    ['Moscow oblast', ['50', '90', '150', '190', '750', '790'], 1.56, 1.56, [1.56, 1]],
    ['St Petersburg', ['78', '98', '178', '198'], 1.64, 1.64, [1.64, 1]],
    ['Tatarstan', ['16', '116', '716'], 1.8, 1.7, [1.7, 1]],
    ['Chelyabinsk', ['74', '174', '774'], 1.88, 1.77, [1.77, 1]],
    ['Novosibirsk', ['54', '154', '754'], 1.56, 1.56, [1.56, 2]],
    ['Sverdlovsk', ['66', '96', '196'], 1.64, 1.64, [1.64, 1]],
    ['Nizhny Novgorod', ['52', '152', '252'], 1.64, 1.56, [1.56, 1]],
    ['Krasnodar', ['23', '93', '123', '193'], 1.64, 1.56, [1.56, 1]],
    ['Samara', ['63', '163', '763'], 1.48, 1.48, [1.48, 1]],
  ];
  const rows = table.flatMap(([name, codes, v2022, v2025, v2025dec]) => codes.map((code) => [name, code, v2022, v2025, v2025dec] as const));

  it.each(rows)('%s, code %s: %d from 2022-01-09, %d from 2025-01-27, %j from 2025-12-09', (_name, code, v2022, v2025, [base, multiplier]) => {
    expect(territoryCoefficient(code, '2022-01-09')).toBe(v2022);
    expect(territoryCoefficient(code, '2025-01-26')).toBe(v2022);
    expect(territoryFactor(code, '2025-01-26')).toEqual({ base: v2022, multiplier: 1 });
    expect(territoryCoefficient(code, '2025-01-27')).toBe(v2025);
    expect(territoryCoefficient(code, '2025-12-08')).toBe(v2025);
    expect(territoryFactor(code, '2025-12-09')).toEqual({ base, multiplier });
    expect(territoryCoefficient(code, '2025-12-09')).toBe(Number((base * multiplier).toFixed(2)));
    expect(territoryCoefficient(code, '2026-12-01')).toBe(Number((base * multiplier).toFixed(2)));
  });

  it('each territory of the table is all the codes of one subject, and nothing else', () => {
    for (const [name, codes] of table) {
      const subjects = new Set(codes.map(regionOf));
      expect({ name, subjects: subjects.size }).toEqual({ name, subjects: 1 });
      const [subject] = [...subjects];
      expect({ name, codes: [...codesOf(subject ?? '')].sort() }).toEqual({ name, codes: [...codes].sort() });
    }
  });

  it('Novosibirsk is 3.12 = 1.56 × 2 from 9 December 2025, 1.56 the day before', () => {
    expect(territoryCoefficient('54', '2025-12-08')).toBe(1.56);
    expect(territoryCoefficient('54', '2025-12-09')).toBe(3.12);
    expect(territoryFactor('154', '2025-12-09')).toEqual({ base: 1.56, multiplier: 2 });
  });

  it.each(['01', '02', '06', '24', '47', '61', '82', '92', '95', '102', '702', '186', '180', '185'])(
    'a real region the table does not list (%s) gets the fallback 1.00 in every version',
    (code) => {
      for (const on of ['2022-01-09', '2025-01-27', '2025-12-09']) expect(territoryFactor(code, on)).toEqual({ base: 1, multiplier: 1 });
    },
  );

  it.each(['00', '100', '999', '200', '888', '', '7', '0077', 'constructor', 'toString'])('a code that is no region (%p) is refused', (code) => {
    expect(() => territoryCoefficient(code, ON)).toThrow(RangeError);
  });

  it('has no table before 2022-01-09', () => {
    expect(() => territoryCoefficient('77', '2022-01-08')).toThrow(RangeError);
  });
});

describe('region codes', () => {
  it.each([
    ['16', 'Республика Татарстан'], ['116', 'Республика Татарстан'], ['716', 'Республика Татарстан'],
    ['77', 'Москва'], ['977', 'Москва'], ['750', 'Московская область'], ['82', 'Республика Крым'],
    ['92', 'Севастополь'], ['95', 'Чеченская Республика'], ['39', 'Калининградская область'], ['91', 'Калининградская область'],
  ])('%s is %s', (code, subject) => expect(regionOf(code)).toBe(subject));

  it.each(['00', '100', '999', '0', '1', '07x', '1000'])('%p is no region', (code) => expect(isRegionCode(code)).toBe(false));
});

describe('КО', () => {
  it('limited 1.00, unlimited 2.32', () => {
    expect(ownershipCoefficient(false, ON)).toBe(1.0);
    expect(ownershipCoefficient(true, ON)).toBe(2.32);
  });
});

describe('base-rate corridor, category B', () => {
  it.each([
    ['2022-09-01', 1646, 7535, '2022-09-01'],
    ['2025-12-08', 1646, 7535, '2022-09-01'],
    ['2025-12-09', 1399, 8665, '2025-12-09'],
    ['2026-11-22', 1399, 8665, '2025-12-09'],
  ])('on %s: %i–%i', (on, min, max, effectiveFrom) => {
    expect(baseRateCorridor(on)).toEqual({ min, max, effectiveFrom });
  });

  it.each(['2022-08-31', '2025-02-30', 'tomorrow'])('refuses %s', (on) => {
    expect(() => baseRateCorridor(on)).toThrow(RangeError);
  });
});

const driver = (ageYears: number, experienceYears: number, kbmClass: KbmClass): TariffDriver => ({
  ageYears,
  experienceYears,
  kbmClass,
});

const input = (over: Partial<TariffInput>): TariffInput => ({
  baseRate: 7535,
  registrationRegion: '77',
  enginePowerHp: 150,
  periodMonths: 12,
  unlimitedDrivers: false,
  ownerKbmClass: 3,
  drivers: [driver(35, 10, 3)],
  ...over,
});

describe('computePremium', () => {
  it('Moscow, one driver 35 y / 10 y, class 3, 150 hp, 12 months', () => {
    // 7535 × 1.80 × 1.17 × 0.94 × 1.00 × 1.4 × 1.0 × 1 × 1 = 20 883.22236 → 20 883.22
    const r = computePremium(input({}), ON);
    expect(r.premium).toBe(20883.22);
    expect(r.coefficients).toEqual({ tb: 7535, kt: 1.8, kbm: 1.17, kvs: 0.94, ko: 1, km: 1.4, ks: 1, kn: 1, kpr: 1 });
  });

  it('St Petersburg, unlimited, owner class 4, 90 hp, 6 months, new corridor', () => {
    // 8665 × 1.64 × 1.00 × 1 × 2.32 × 1.1 × 0.7 × 1 × 1 = 25 385.81584 → 25 385.82
    const r = computePremium(
      input({ baseRate: 8665, registrationRegion: '78', enginePowerHp: 90, periodMonths: 6, unlimitedDrivers: true, ownerKbmClass: 4, drivers: [] }),
      AFTER_REFORM,
    );
    expect(r.premium).toBe(25385.82);
    expect(r.coefficients).toMatchObject({ kbm: 1, kvs: 1, ko: 2.32 });
  });

  it('other region, young driver 23 y / 1 y, class 5, 110 hp, 9 months', () => {
    // 5000 × 1.00 × 0.91 × 1.72 × 1.00 × 1.2 × 0.95 × 1 × 1 = 8 921.64
    const r = computePremium(
      input({ baseRate: 5000, registrationRegion: '01', enginePowerHp: 110, periodMonths: 9, drivers: [driver(23, 1, 5)] }),
      ON,
    );
    expect(r.premium).toBe(8921.64);
  });

  it('Moscow oblast, class 2 at 40 y / 20 y, 200 hp', () => {
    // 7000 × 1.56 × 1.76 × 0.91 × 1.00 × 1.6 × 1.0 × 1 × 1 = 27 983.1552 → 27 983.16
    const r = computePremium(input({ baseRate: 7000, registrationRegion: '50', enginePowerHp: 200, drivers: [driver(40, 20, 2)] }), ON);
    expect(r.premium).toBe(27983.16);
  });

  it('rounds an exact half kopeck up, where float multiplication would round it down', () => {
    // 5000 × 1.77 × 2.25 × 1.00 × 1 × 1.1 × 0.7 = 15 332.625 exactly; in doubles 15 332.624999…
    const f = 5000 * 1.77 * 2.25 * 1.0 * 1 * 1.1 * 0.7;
    expect(Math.round(f * 100) / 100).toBe(15332.62);
    const r = computePremium(
      input({ baseRate: 5000, registrationRegion: '74', enginePowerHp: 90, periodMonths: 6, drivers: [driver(37, 3, 1)] }),
      ON,
    );
    expect(r.coefficients).toMatchObject({ kt: 1.77, kbm: 2.25, kvs: 1, ko: 1, km: 1.1, ks: 0.7 });
    expect(r.premium).toBe(15332.63);
  });

  it('takes a base rate with kopecks', () => {
    // 4118.55 × 1.00 × 1.17 × 1.00 × 1.00 × 1.0 × 0.5 = 2 409.35175 → 2 409.35
    const r = computePremium(
      input({ baseRate: 4118.55, registrationRegion: '01', enginePowerHp: 60, periodMonths: 3, drivers: [driver(35, 3, 3)] }),
      ON,
    );
    expect(r.premium).toBe(2409.35);
  });

  it('always lands on whole kopecks', () => {
    for (const months of [3, 5, 7, 9, 12]) {
      for (const cls of KBM_CLASSES) {
        const { premium } = computePremium(input({ baseRate: 6543.21, periodMonths: months, drivers: [driver(27, 4, cls)] }), ON);
        expect(Math.abs(premium * 100 - Math.round(premium * 100))).toBeLessThan(1e-6);
      }
    }
  });

  it('refuses a base rate outside the corridor in force', () => {
    expect(() => computePremium(input({ baseRate: 8000 }), '2025-12-08')).toThrow(RangeError);
    expect(computePremium(input({ baseRate: 8000 }), '2025-12-09').coefficients.tb).toBe(8000);
    expect(() => computePremium(input({ baseRate: 1500 }), ON)).toThrow(RangeError);
    expect(() => computePremium(input({ baseRate: 8666 }), AFTER_REFORM)).toThrow(RangeError);
    expect(() => computePremium(input({ baseRate: NaN }), ON)).toThrow(RangeError);
  });

  it('refuses inputs out of the tables', () => {
    expect(() => computePremium(input({ drivers: [] }), ON)).toThrow(RangeError);
    expect(() => computePremium(input({ periodMonths: 2 }), ON)).toThrow(RangeError);
    expect(() => computePremium(input({ enginePowerHp: 0 }), ON)).toThrow(RangeError);
  });
});

describe('several drivers', () => {
  it.each<[string, TariffDriver[], number, number]>([
    // 1.17×0.94 = 1.0998 < 0.91×1.72 = 1.5652 > 0.46×1.02 = 0.4692: the young driver, not the worst class
    ['young driver wins over worse class', [driver(35, 10, 3), driver(23, 1, 5), driver(28, 12, 13)], 0.91, 1.72],
    // 3.92×0.83 = 3.2536 > 1.17×2.27 = 2.6559: the malus class outweighs the novice
    ['malus class wins over novice', [driver(18, 0, 3), driver(65, 40, 'M')], 3.92, 0.83],
    // 1.00×1.00 = 1.00 < 0.91×1.10 = 1.001: a hair's difference still decides
    ['close call decided exactly', [driver(37, 3, 4), driver(23, 5, 5)], 0.91, 1.1],
  ])('%s', (_name, drivers, kbm, kvs) => {
    const r = computePremium(input({ drivers }), ON);
    expect(r.coefficients).toMatchObject({ kbm, kvs });
  });

  it('on a tie keeps the first listed', () => {
    // class 3 at 32 y / 3 y: 1.17 × 1.05 = 1.2285; class 5 at 62 y / 2 y: 0.91 × 1.35 = 1.2285,
    // though in doubles the second is 1.2285000000000001 and a float comparison would pick it
    const a = driver(32, 3, 3);
    const b = driver(62, 2, 5);
    const r = computePremium(input({ drivers: [a, b] }), ON);
    expect(r.coefficients).toMatchObject({ kbm: 1.17, kvs: 1.05 });
    const s = computePremium(input({ drivers: [b, a] }), ON);
    expect(s.coefficients).toMatchObject({ kbm: 0.91, kvs: 1.35 });
    expect(r.premium).toBe(s.premium);
  });

  it('explains every driver: class, КБМ, КВС, and which one the policy takes', () => {
    const r = computePremium(input({ drivers: [driver(35, 10, 3), driver(23, 1, 5), driver(28, 12, 'M')] }), ON);
    // 1.17×0.94 = 1.0998; 0.91×1.72 = 1.5652; 3.92×1.02 = 3.9984: the malus class decides
    expect(r.drivers).toEqual([
      { index: 0, kbmClass: '3', kbm: 1.17, kvs: 0.94, applied: false },
      { index: 1, kbmClass: '5', kbm: 0.91, kvs: 1.72, applied: false },
      { index: 2, kbmClass: 'M', kbm: 3.92, kvs: 1.02, applied: true },
    ]);
    expect(r.coefficients).toMatchObject({ kbm: 3.92, kvs: 1.02 });
    const one = computePremium(input({ drivers: [driver(40, 20, 13)] }), ON);
    expect(one.drivers).toEqual([{ index: 0, kbmClass: '13', kbm: 0.46, kvs: 0.91, applied: true }]);
  });

  it('refuses the policy when any driver is out of the table', () => {
    expect(() => computePremium(input({ drivers: [driver(35, 10, 3), driver(20, 8, 3)] }), ON)).toThrow(RangeError);
  });
});

describe('unlimited drivers', () => {
  it('uses the owner class, КВС 1 and КО 2.32, ignoring any drivers given', () => {
    // 7535 × 1.80 × 0.46 × 1 × 2.32 × 1.4 × 1.0 = 20 264.20704 → 20 264.21
    const r = computePremium(input({ unlimitedDrivers: true, ownerKbmClass: 13, drivers: [driver(18, 0, 'M')] }), ON);
    expect(r.coefficients).toMatchObject({ kbm: 0.46, kvs: 1, ko: 2.32 });
    expect(r.premium).toBe(20264.21);
    expect(r.drivers).toEqual([]);
  });
});

describe('deriveKbmClass', () => {
  it('is deterministic', () => {
    const first = deriveKbmClass('7712345678');
    for (let i = 0; i < 5; i++) expect(deriveKbmClass('7712345678')).toBe(first);
  });

  it('ignores spacing, case and Latin look-alikes', () => {
    const cls = deriveKbmClass('77АВ123456');
    expect(deriveKbmClass('77 АВ 123456')).toBe(cls);
    expect(deriveKbmClass('77ав123456')).toBe(cls);
    expect(deriveKbmClass('77AB 123456')).toBe(cls);
    expect(deriveKbmClass('77ab-123456')).toBe(cls);
  });

  it('over 10 000 licences: every class appears, 3..8 dominate, malus classes are rare', () => {
    const counts = new Map<KbmClass, number>();
    for (let i = 0; i < 10_000; i++) {
      const key = `${String(10 + (i % 90))}${String(20 + (i % 7))}${String(100_000 + i * 37).padStart(6, '0')}`;
      const cls = deriveKbmClass(key);
      counts.set(cls, (counts.get(cls) ?? 0) + 1);
    }
    const share = (classes: KbmClass[]): number => classes.reduce<number>((s, c) => s + (counts.get(c) ?? 0), 0) / 10_000;
    for (const cls of KBM_CLASSES) expect(counts.get(cls) ?? 0).toBeGreaterThan(0);
    expect(share([3, 4, 5, 6, 7, 8])).toBeGreaterThan(0.6);
    expect(share(['M', 0, 1, 2])).toBeLessThan(0.05);
    expect(counts.get(3)).toBeGreaterThan(counts.get(13) ?? 0);
  });
});

describe('from an application', () => {
  const person: Driver = {
    lastName: 'Иванов',
    firstName: 'Иван',
    birthDate: '1990-06-15',
    license: { series: '77АВ', number: '123456', issuedAt: '2015-06-20' },
    experienceSince: '2010-06-16',
  };
  const application: Application = {
    vehicle: {
      vin: 'XTA210990Y2766389',
      make: 'LADA',
      model: 'Vesta',
      year: 2020,
      enginePowerHp: 106,
      category: 'B',
      document: { type: 'STS', series: '77УК', number: '654321', issuedAt: '2020-03-01' },
    },
    owner: {
      lastName: 'Иванов',
      firstName: 'Иван',
      birthDate: '1990-06-15',
      passport: { series: '4510', number: '987654', issuedAt: '2010-07-01' },
      registrationRegion: '52',
    },
    drivers: [person],
    unlimitedDrivers: false,
    policy: { startDate: '2026-06-15', periodMonths: 10 },
  };

  it('counts whole years on the start date, a birthday counting on its day', () => {
    // born 1990-06-15: 36 on 2026-06-15; experience since 2010-06-16: still 15 years, not 16
    const t = tariffInputFromApplication(application, 8000);
    expect(t).toEqual({
      baseRate: 8000,
      registrationRegion: '52',
      enginePowerHp: 106,
      periodMonths: 10,
      unlimitedDrivers: false,
      ownerKbmClass: deriveKbmClass('4510987654'),
      drivers: [{ ageYears: 36, experienceYears: 15, kbmClass: deriveKbmClass('77АВ123456') }],
    });
  });

  it('drops drivers for an unlimited policy', () => {
    const t = tariffInputFromApplication({ ...application, unlimitedDrivers: true }, 8000);
    expect(t.drivers).toEqual([]);
    expect(t.unlimitedDrivers).toBe(true);
  });

  it('quoteApplication prices by the tables of the day of the quote, not of the start of the policy', () => {
    const expected = computePremium(tariffInputFromApplication(application, 8000), '2026-06-15');
    expect(quoteApplication(application, 8000, '2026-06-15')).toEqual(expected);
    // 8000 is above the corridor before 9 Dec 2025: a quote made then refuses it, whatever the start
    expect(() => quoteApplication(application, 8000, '2025-12-08')).toThrow(RangeError);
    expect(quoteApplication(application, 7000, '2025-12-08').coefficients.tb).toBe(7000);
  });

  it('across a table change, the day of the quote decides; the start date only counts the years', () => {
    const novosibirsk: Application = { ...application, owner: { ...application.owner, registrationRegion: '154' }, policy: { startDate: '2025-12-20', periodMonths: 12 } };
    const before = quoteApplication(novosibirsk, 7000, '2025-12-08');
    const after = quoteApplication(novosibirsk, 7000, '2025-12-09');
    expect(before.coefficients.kt).toBe(1.56);
    expect(before.territory).toEqual({ base: 1.56, multiplier: 1 });
    expect(after.coefficients.kt).toBe(3.12);
    expect(after.territory).toEqual({ base: 1.56, multiplier: 2 });
    expect(Math.abs(after.premium - 2 * before.premium)).toBeLessThanOrEqual(0.01);
  });
});
