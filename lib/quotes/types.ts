import type { Coefficients, DriverRating, TerritoryFactor } from '../tariff/types';

export type QuoteStatus = 'pending' | 'offer' | 'declined' | 'failed' | 'unavailable' | 'timeout';

export interface InsurerRef {
  code: string;
  name: string;
}

export interface Offer {
  id: string;
  validUntil: string;
  coefficients: Coefficients;
  drivers: DriverRating[]; // why КБМ and КВС: each named driver, the applied one marked
  territory?: TerritoryFactor; // why КТ: its base value and correction multiplier, when the insurer says
}

/** One insurer's answer for one application (CONTRACT §4). */
export interface Quote {
  applicationId: string;
  insurer: InsurerRef;
  status: QuoteStatus;
  premium?: number;
  offer?: Offer;
  reason?: string;
  at: string;
}
