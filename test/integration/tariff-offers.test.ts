/**
 * Offers priced by the tariff in force on the day of the quote (OSAGO.md), through the whole
 * system: the changed territories, the Novosibirsk multiplier, a table change seen through the
 * insurers' injected calendar, each named driver explained, and the documents a real insurer
 * refuses (REST and Socket.IO). Expected values are OSAGO.md's, written here by hand.
 */
import type { Application } from '../../lib/application/types';
import { addDays, addYears, todayInMoscow } from '../../lib/dates';
import { deriveKbmClass } from '../../lib/tariff';
import { sampleApplication } from '../unit/fixtures/application';
import { api, listenSandbox, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { connectClient, emitAck } from '../support/sockets';
import type { Sandbox } from '../../sandbox/types';

jest.setTimeout(60_000);

interface OfferQuote {
  status: string;
  premium?: number;
  insurer: { code: string };
  offer?: {
    coefficients: Record<string, number>;
    drivers: Array<{ index: number; kbmClass: string; kbm: number; kvs: number; applied: boolean }>;
    territory?: { base: number; multiplier: number };
  };
}

let insurersDay = todayInMoscow();
let sandbox: Sandbox;
let system: RunningSystem;

beforeAll(async () => {
  ({ sandbox } = await listenSandbox(0.02, undefined, () => insurersDay));
  system = await startSystem({ sandbox, env: { QUOTE_DEADLINE_MS: '8000', RATE_LIMIT_PER_MINUTE: '100000' } });
});
afterAll(async () => {
  await system?.stop();
  await sandbox?.close();
});

function inRegion(region: string): Application {
  const app = sampleApplication(todayInMoscow());
  app.owner.registrationRegion = region;
  return app;
}

async function offersFor(application: Application): Promise<OfferQuote[]> {
  const created = await api(system, 'POST', '/api/v1/applications', application);
  expect(created.status).toBe(202);
  const done = await waitCompleted(system, created.json?.id as string);
  const offers = (done.quotes as OfferQuote[]).filter((q) => q.status === 'offer');
  expect(offers.length).toBeGreaterThan(0);
  return offers;
}

/** CONTRACT §4: the premium is the product of the coefficients, to the kopeck. */
function expectPremiumIsTheProduct(q: OfferQuote): void {
  const c = q.offer?.coefficients ?? {};
  const product = c.tb * c.kt * c.kbm * c.kvs * c.ko * c.km * c.ks * (c.kn ?? 1) * (c.kpr ?? 1);
  expect(Math.abs((q.premium ?? 0) - product)).toBeLessThanOrEqual(0.011);
}

describe('КТ in force today', () => {
  it.each([
    ['Kazan', '116', 1.7, { base: 1.7, multiplier: 1 }],
    ['Tatarstan', '716', 1.7, { base: 1.7, multiplier: 1 }],
    ['Chelyabinsk', '174', 1.77, { base: 1.77, multiplier: 1 }],
    ['Nizhny Novgorod', '52', 1.56, { base: 1.56, multiplier: 1 }],
    ['Krasnodar', '93', 1.56, { base: 1.56, multiplier: 1 }],
    ['Novosibirsk', '54', 3.12, { base: 1.56, multiplier: 2 }],
    ['Moscow', '77', 1.8, { base: 1.8, multiplier: 1 }],
    ['Ingushetia, not in the table', '06', 1, { base: 1, multiplier: 1 }],
  ])('%s (%s): КТ %d', async (_name, region, kt, territory) => {
    for (const q of await offersFor(inRegion(region))) {
      expect({ insurer: q.insurer.code, kt: q.offer?.coefficients.kt, territory: q.offer?.territory }).toEqual({ insurer: q.insurer.code, kt, territory });
      expectPremiumIsTheProduct(q);
    }
  });

  it('the insurers price by the day they are asked: across the table change of 9 December 2025', async () => {
    try {
      insurersDay = '2025-12-08';
      const before = await offersFor(inRegion('154'));
      insurersDay = '2025-12-09';
      const after = await offersFor(inRegion('154'));
      for (const q of before) expect({ code: q.insurer.code, kt: q.offer?.coefficients.kt }).toEqual({ code: q.insurer.code, kt: 1.56 });
      for (const q of after) expect({ code: q.insurer.code, kt: q.offer?.coefficients.kt }).toEqual({ code: q.insurer.code, kt: 3.12 });
      // the base-rate corridor moved that day too: 7 535 ₽ was its top before
      for (const q of before) expect(q.offer?.coefficients.tb).toBeLessThanOrEqual(7535);
    } finally {
      insurersDay = todayInMoscow();
    }
  });
});

describe('why this price: each named driver', () => {
  it('a two-driver application lists both, marks the one whose КБМ × КВС is largest, and the coefficients are that one', async () => {
    const app = sampleApplication(todayInMoscow());
    const [first] = app.drivers;
    // a 23-year-old with two years of experience: КВС 1.71 against the first driver's 0.93
    const young = {
      ...first,
      firstName: 'Пётр',
      birthDate: shiftYears(todayInMoscow(), -23, -20),
      license: { series: '9911', number: '654321', issuedAt: shiftYears(todayInMoscow(), -2, -20) },
      experienceSince: shiftYears(todayInMoscow(), -2, -20),
    };
    app.drivers = [first, young];
    const expectedClasses = app.drivers.map((d) => String(deriveKbmClass(d.license.series + d.license.number)));
    for (const q of await offersFor(app)) {
      const drivers = q.offer?.drivers ?? [];
      expect(drivers.map((d) => d.index)).toEqual([0, 1]);
      expect(drivers.map((d) => d.kbmClass)).toEqual(expectedClasses);
      expect(drivers[1].kvs).toBe(1.71);
      expect(drivers.filter((d) => d.applied)).toHaveLength(1);
      const applied = drivers.find((d) => d.applied);
      const largest = Math.max(...drivers.map((d) => d.kbm * d.kvs));
      expect(applied && applied.kbm * applied.kvs).toBeCloseTo(largest, 10);
      expect(q.offer?.coefficients).toMatchObject({ kbm: applied?.kbm, kvs: applied?.kvs });
      expectPremiumIsTheProduct(q);
    }
  });

  it('an unlimited policy lists no driver', async () => {
    const app = { ...sampleApplication(todayInMoscow()), unlimitedDrivers: true, drivers: [] };
    for (const q of await offersFor(app)) {
      expect(q.offer?.drivers).toEqual([]);
      expect(q.offer?.coefficients).toMatchObject({ kvs: 1, ko: 2.32 });
    }
  });
});

/** `date` moved by whole years (the one rule for 29 February) and then days. */
function shiftYears(date: string, years: number, days: number): string {
  return addDays(addYears(date, years), days);
}

describe('documents a real insurer refuses', () => {
  const cases: Array<[string, (app: Application) => void, string]> = [
    ['a region code that is no region (999)', (app) => (app.owner.registrationRegion = '999'), 'owner.registrationRegion'],
    ['region 00', (app) => (app.owner.registrationRegion = '00'), 'owner.registrationRegion'],
    ['region 100', (app) => (app.owner.registrationRegion = '100'), 'owner.registrationRegion'],
    ['a plate of region 999', (app) => (app.vehicle.plate = 'А123ВС999'), 'vehicle.plate'],
    [
      'a passport issued at 16 to a 30-year-old, never replaced at 20',
      (app) => {
        app.owner.birthDate = shiftYears(todayInMoscow(), -30, 0);
        app.owner.passport.issuedAt = shiftYears(todayInMoscow(), -14, 0);
      },
      'owner.passport.issuedAt',
    ],
    [
      'a passport issued before 45, its holder 45 for 91 days',
      (app) => {
        app.owner.birthDate = shiftYears(todayInMoscow(), -45, -91);
        app.owner.passport.issuedAt = shiftYears(todayInMoscow(), -20, 0);
      },
      'owner.passport.issuedAt',
    ],
  ];

  it.each(cases)('REST: %s → 400 naming the field', async (_name, spoil, field) => {
    const app = sampleApplication(todayInMoscow());
    spoil(app);
    const res = await api(system, 'POST', '/api/v1/applications', app);
    expect(res.status).toBe(400);
    expect((res.json?.errors as Array<{ field: string }>).map((e) => e.field)).toEqual([field]);
  });

  it.each(cases)('Socket.IO: %s → an error ack naming the field', async (_name, spoil, field) => {
    const socket = await connectClient(system.baseUrl);
    try {
      const app = sampleApplication(todayInMoscow());
      spoil(app);
      const ack = await emitAck(socket, 'apply', app);
      expect(ack).toMatchObject({ ok: false, error: { status: 400 } });
      expect((ack.error.errors as Array<{ field: string }>).map((e) => e.field)).toEqual([field]);
    } finally {
      socket.disconnect();
    }
  });

  it('the same passport holder 45 for 80 days is still accepted', async () => {
    const app = sampleApplication(todayInMoscow());
    app.owner.birthDate = shiftYears(todayInMoscow(), -45, -80);
    app.owner.passport.issuedAt = shiftYears(todayInMoscow(), -20, 0);
    const res = await api(system, 'POST', '/api/v1/applications', app);
    expect(res.status).toBe(202);
  });
});
