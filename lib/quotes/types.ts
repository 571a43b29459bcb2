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
  /**
   * Stored quotes only, never shown: the place of this final state among the application's events
   * (1, 2, …, in the order the store made them final; `completed` comes after them all). Server-sent
   * events and webhooks are numbered by it, so a stream resumed on any gateway continues where it was.
   */
  seq?: number;
}
