/** The OSAGO premium: ТБ × КТ × КБМ × КВС × КО × КМ × КС × КН × КПр, in roubles to the kopeck. */
import type { Application, IsoDate } from '../application/types';
import { wholeYearsBetween } from '../dates';
import { deriveKbmClass, kbmCoefficient } from './kbm';
import {
  baseRateCorridor,
  kvsCoefficient,
  ownershipCoefficient,
  powerCoefficient,
  seasonCoefficient,
  effectiveTerritoryCoefficient,
  territoryFactor,
} from './tables';
import type { Coefficients, DriverRating, TariffDriver, TariffInput, TariffResult } from './types';

/**
 * The premium by the tables in force on `on`, the day the quote is made (OSAGO.md, "Which day's
 * tariff"); the drivers' ages and experience are already counted on the policy's start.
 */
export function computePremium(input: TariffInput, on: IsoDate): TariffResult {
  const corridor = baseRateCorridor(on);
  if (!(input.baseRate >= corridor.min && input.baseRate <= corridor.max)) {
    throw new RangeError(`base rate ${input.baseRate} outside the corridor ${corridor.min}–${corridor.max} on ${on}`);
  }
  const drivers = rateDrivers(input.drivers, on);
  const applied = drivers.find((d) => d.applied);
  // Unlimited drivers: КВС is not applied and the owner's class stands in for the drivers'
  const { kbm, kvs } = input.unlimitedDrivers ? { kbm: kbmCoefficient(input.ownerKbmClass, on), kvs: 1 } : requireDriver(applied);
  const territory = territoryFactor(input.registrationRegion, on);
  const c: Coefficients = {
    tb: input.baseRate,
    kt: effectiveTerritoryCoefficient(territory),
    kbm,
    kvs,
    ko: ownershipCoefficient(input.unlimitedDrivers, on),
    km: powerCoefficient(input.enginePowerHp, on),
    ks: seasonCoefficient(input.periodMonths, on),
    kn: 1, // v1: gross violations are not collected
    kpr: 1, // v1: trailers are not insured
  };
  const product = exactProduct([c.tb, c.kt, c.kbm, c.kvs, c.ko, c.km, c.ks, c.kn, c.kpr]);
  return { premium: roundToKopecks(product), coefficients: c, drivers: input.unlimitedDrivers ? [] : drivers, territory };
}

function requireDriver(applied: DriverRating | undefined): DriverRating {
  if (!applied) throw new RangeError('a limited-drivers policy needs at least one driver');
  return applied;
}

/**
 * Every named driver's КБМ and КВС; the one whose КБМ × КВС is largest is applied, the first
 * listed on a tie. Every driver is looked up, so one impossible age/experience pair fails even if
 * it would not win.
 */
function rateDrivers(drivers: readonly TariffDriver[], on: IsoDate): DriverRating[] {
  const rated = drivers.map((d, index) => {
    const kbm = kbmCoefficient(d.kbmClass, on);
    const kvs = kvsCoefficient(d.ageYears, d.experienceYears, on);
    return { rating: { index, kbmClass: String(d.kbmClass), kbm, kvs, applied: false }, risk: exactProduct([kbm, kvs]) };
  });
  let worst = rated[0];
  for (const r of rated.slice(1)) if (compareDecimals(r.risk, worst.risk) > 0) worst = r;
  if (worst) worst.rating.applied = true;
  return rated.map((r) => r.rating);
}

/*
 * Money arithmetic in exact decimals: each factor is taken at its shortest decimal spelling (1.17
 * is 117/100, not the double nearest it), the product is an exact BigInt fraction, and rounding
 * half up happens once on that exact value. Float multiplication could land a true x.xx5 just
 * below the half and round it down.
 */
interface Decimal {
  units: bigint; // value = units / 10^scale
  scale: number;
}

function toDecimal(x: number): Decimal {
  const m = Number.isFinite(x) && x >= 0 ? /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x)) : null;
  if (!m) throw new RangeError(`not a tariff factor: ${x}`);
  const fraction = m[2] ?? '';
  const scale = fraction.length - Number(m[3] ?? 0);
  const units = BigInt(m[1] + fraction);
  return scale >= 0 ? { units, scale } : { units: units * 10n ** BigInt(-scale), scale: 0 };
}

function exactProduct(factors: readonly number[]): Decimal {
  return factors.map(toDecimal).reduce((a, b) => ({ units: a.units * b.units, scale: a.scale + b.scale }));
}

function compareDecimals(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  const x = a.units * 10n ** BigInt(scale - a.scale);
  const y = b.units * 10n ** BigInt(scale - b.scale);
  return x > y ? 1 : x < y ? -1 : 0;
}

/** Half up (factors are never negative); the kopeck count is an exact integer, so /100 is the
 * double nearest the two-decimal result. */
function roundToKopecks(d: Decimal): number {
  if (d.scale <= 2) return Number(d.units * 10n ** BigInt(2 - d.scale)) / 100;
  const divisor = 10n ** BigInt(d.scale - 2);
  return Number((d.units + divisor / 2n) / divisor) / 100;
}

/** Ages and experience are whole years on the policy start; КБМ classes are derived per document. */
export function tariffInputFromApplication(application: Application, baseRate: number): TariffInput {
  const start = application.policy.startDate;
  const { passport } = application.owner;
  return {
    baseRate,
    registrationRegion: application.owner.registrationRegion,
    enginePowerHp: application.vehicle.enginePowerHp,
    periodMonths: application.policy.periodMonths,
    unlimitedDrivers: application.unlimitedDrivers,
    ownerKbmClass: deriveKbmClass(passport.series + passport.number),
    drivers: application.unlimitedDrivers
      ? []
      : application.drivers.map((d) => ({
          ageYears: wholeYearsBetween(d.birthDate, start),
          experienceYears: wholeYearsBetween(d.experienceSince, start),
          kbmClass: deriveKbmClass(d.license.series + d.license.number),
        })),
  };
}

/** `quoteDay`: the day the quote is made (Moscow), whose tables price it. */
export function quoteApplication(application: Application, baseRate: number, quoteDay: IsoDate): TariffResult {
  return computePremium(tariffInputFromApplication(application, baseRate), quoteDay);
}
