/** The Quote (CONTRACT §4) an insurer's final loop outcome becomes. */
import type { LoopOutcome } from '../insurers/quote-loop';
import type { InsurerRef, Quote } from './types';

export type FinalOutcome = Exclude<LoopOutcome, { status: 'deadline' | 'interrupted' }>;

export function quoteFromOutcome(applicationId: string, insurer: InsurerRef, outcome: FinalOutcome, at: string): Quote {
  const base = { applicationId, insurer: { code: insurer.code, name: insurer.name }, at };
  if (outcome.status === 'offer') {
    return {
      ...base,
      status: 'offer',
      premium: outcome.premium,
      offer: {
        id: outcome.offerId,
        validUntil: outcome.validUntil,
        coefficients: outcome.coefficients,
        drivers: outcome.drivers,
        ...(outcome.territory && { territory: outcome.territory }),
      },
    };
  }
  return { ...base, status: outcome.status, reason: outcome.reason };
}
