/** Public surface of the tariff module: OSAGO premium by the Bank of Russia formula (OSAGO.md). */
export type {
  BaseRateCorridor,
  Coefficients,
  KbmClass,
  TariffDriver,
  TariffInput,
  TariffResult,
} from './types';
export {
  baseRateCorridor,
  kvsCoefficient,
  ownershipCoefficient,
  powerCoefficient,
  seasonCoefficient,
  territoryCoefficient,
} from './tables';
export { KBM_CLASSES, deriveKbmClass, kbmCoefficient } from './kbm';
export { computePremium, quoteApplication, tariffInputFromApplication } from './premium';
