/** What a simulated insurer charges: the Bank of Russia formula with its own ТБ. */
import type { Application, IsoDate } from '../lib/application/types';
import { baseRateCorridor, quoteApplication, type TariffResult } from '../lib/tariff';
import type { InsurerProfile } from './profiles';

/** Whole roubles, as insurers publish their ТБ; the corridor moves with the date, the share stays. */
export function baseRateFor(profile: Pick<InsurerProfile, 'baseRateShare'>, on: IsoDate): number {
  const { min, max } = baseRateCorridor(on);
  return Math.round(min + profile.baseRateShare * (max - min));
}

/**
 * Priced by the tables in force on `quoteDay`, the day the insurer is asked, as a real insurer
 * does; the corridor, and with it the insurer's ТБ, too. Throws RangeError for an application the
 * formula cannot price (e.g. impossible experience).
 */
export function priceFor(profile: Pick<InsurerProfile, 'baseRateShare'>, application: Application, quoteDay: IsoDate): TariffResult {
  return quoteApplication(application, baseRateFor(profile, quoteDay), quoteDay);
}
