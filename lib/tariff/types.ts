/** Bonus-malus class: 'M' or 0..13 (OSAGO.md, КБМ since 1 April 2022). */
export type KbmClass = 'M' | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13;

/** Coefficients as they appear in a Quote's `offer.coefficients` (CONTRACT §4). */
export interface Coefficients {
  tb: number;
  kt: number;
  kbm: number;
  kvs: number;
  ko: number;
  km: number;
  ks: number;
  kn: number;
  kpr: number;
}

export interface TariffDriver {
  ageYears: number; // whole years on the policy start date
  experienceYears: number; // whole years since experienceSince, on the policy start date
  kbmClass: KbmClass;
}

export interface TariffInput {
  baseRate: number; // ТБ in roubles, chosen by the insurer inside the corridor
  registrationRegion: string;
  enginePowerHp: number;
  periodMonths: number;
  unlimitedDrivers: boolean;
  ownerKbmClass: KbmClass; // applied when drivers are unlimited
  drivers: TariffDriver[]; // the named drivers; empty when unlimited
}

/** One named driver's part of the price (CONTRACT §4 `offer.drivers`). */
export interface DriverRating {
  index: number; // position in the application's `drivers`
  kbmClass: string; // 'M', '0' … '13'
  kbm: number;
  kvs: number;
  applied: boolean; // the driver whose КБМ × КВС the policy takes (the first of equals)
}

/** КТ as the tariff builds it: the territory's value times its correction multiplier (1 almost everywhere). */
export interface TerritoryFactor {
  base: number;
  multiplier: number;
}

export interface TariffResult {
  premium: number; // roubles, rounded to kopecks
  coefficients: Coefficients; // kt is the effective КТ, base × multiplier
  drivers: DriverRating[]; // one per named driver; none when drivers are unlimited
  territory: TerritoryFactor;
}

export interface BaseRateCorridor {
  min: number;
  max: number;
  effectiveFrom: string; // ISO date
}
