/** Public surface of the tariff module: OSAGO premium by the Bank of Russia formula (OSAGO.md). */
export type {
  BaseRateCorridor,
  Coefficients,
  DriverRating,
  KbmClass,
  TariffDriver,
  TariffInput,
  TariffResult,
  TerritoryFactor,
} from './types';
export {
  baseRateCorridor,
  kvsCoefficient,
  ownershipCoefficient,
  powerCoefficient,
  seasonCoefficient,
  territoryCoefficient,
  territoryFactor,
} from './tables';
export { codesOf, isRegionCode, regionOf } from './regions';
export { KBM_CLASSES, deriveKbmClass, kbmCoefficient } from './kbm';
export { computePremium, quoteApplication, tariffInputFromApplication } from './premium';
