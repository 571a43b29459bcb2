/** How stored quotes are shown: in catalog order, with the cheapest offer picked out. */
import type { InsurerRef, Quote } from './types';

/** The quote as clients see it: without the store's sequence number. */
export function publicQuote(quote: Quote): Quote {
  if (quote.seq === undefined) return quote;
  const { seq: _seq, ...shown } = quote;
  return shown;
}

export function orderedQuotes(insurers: readonly InsurerRef[], quotes: Record<string, Quote>): Quote[] {
  return insurers.map((i) => quotes[i.code]).filter((q): q is Quote => q !== undefined).map(publicQuote);
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
