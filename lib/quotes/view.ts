/** How stored quotes are shown: in catalog order, with the cheapest offer picked out. */
import type { InsurerRef, Quote } from './types';

export function orderedQuotes(insurers: readonly InsurerRef[], quotes: Record<string, Quote>): Quote[] {
  return insurers.map((i) => quotes[i.code]).filter((q): q is Quote => q !== undefined);
}

export function bestOffer(quotes: readonly Quote[]): Quote | undefined {
  let best: Quote | undefined;
  for (const q of quotes) {
    if (q.status !== 'offer' || q.premium === undefined) continue;
    if (!best || q.premium < (best.premium as number)) best = q;
  }
  return best;
}

export function pendingQuote(applicationId: string, insurer: InsurerRef, at: string): Quote {
  return { applicationId, insurer: { code: insurer.code, name: insurer.name }, status: 'pending', at };
}
