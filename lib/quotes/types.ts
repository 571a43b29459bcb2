import type { Coefficients } from '../tariff/types';

export type QuoteStatus = 'pending' | 'offer' | 'declined' | 'failed' | 'unavailable' | 'timeout';

export interface InsurerRef {
  code: string;
  name: string;
}

/** One insurer's answer for one application (CONTRACT §4). */
export interface Quote {
  applicationId: string;
  insurer: InsurerRef;
  status: QuoteStatus;
  premium?: number;
  offer?: { id: string; validUntil: string; coefficients: Coefficients };
  reason?: string;
  at: string;
}
