/**
 * What one simulated insurer remembers of the quotes it opened: by its own id (polls), by the
 * client's reference (a repeated create) and by the client's application (CONTRACT §6's record).
 * The three indexes share each quote object, so a poll counted through one is seen by the others.
 * Each is an ExpiringStore, so a benchmark's tens of thousands of quotes cannot grow memory for ever.
 */
import type { OfferData } from './dialects';
import { ExpiringStore } from './store';
import type { SandboxQuoteRecord } from './types';

export type Outcome = { kind: 'offer'; offer: OfferData } | { kind: 'declined'; reason: string };

interface QuoteTimes {
  reference?: string;
  createdAt: number;
  /** When the answer is due; equal to createdAt for a refusal at create. */
  readyAt: number;
  polls: number;
}

/** A refusal at create issues no id: there is nothing to poll. */
export type Quote = QuoteTimes &
  ({ id: string; outcome: Outcome } | { id?: undefined; outcome: Extract<Outcome, { kind: 'declined' }> });

type ReferencedQuote = Quote & { reference: string };

// ours send one reference per application and insurer; a client inventing references under one
// application id must not grow a list that lives as long as the application does
const MAX_QUOTES_PER_APPLICATION = 10;

export interface QuoteBookLimits {
  ttlMs: number;
  maxEntries: number;
}

export class QuoteBook {
  private readonly byId: ExpiringStore<Quote>;
  private readonly byReference: ExpiringStore<Quote>;
  private readonly byApplication: ExpiringStore<ReferencedQuote[]>;

  constructor(
    private readonly insurerCode: string,
    limits: QuoteBookLimits,
  ) {
    this.byId = new ExpiringStore(limits.ttlMs, limits.maxEntries);
    this.byReference = new ExpiringStore(limits.ttlMs, limits.maxEntries);
    this.byApplication = new ExpiringStore(limits.ttlMs, limits.maxEntries);
  }

  open(quote: Quote): void {
    if (quote.id !== undefined) this.byId.set(quote.id, quote);
    if (!hasReference(quote)) return;
    this.byReference.set(quote.reference, quote);
    const applicationId = applicationIdOf(quote.reference);
    if (applicationId === undefined) return;
    const siblings = this.byApplication.get(applicationId);
    if (!siblings) return this.byApplication.set(applicationId, [quote]);
    siblings.push(quote);
    if (siblings.length > MAX_QUOTES_PER_APPLICATION) siblings.shift();
  }

  withId(id: string): Quote | undefined {
    return this.byId.get(id);
  }

  withReference(reference: string): Quote | undefined {
    return this.byReference.get(reference);
  }

  recordFor(applicationId: string): SandboxQuoteRecord[] {
    return (this.byApplication.get(applicationId) ?? []).map((q) => ({
      insurer: this.insurerCode,
      reference: q.reference,
      createdAt: new Date(q.createdAt).toISOString(),
      readyAt: new Date(q.readyAt).toISOString(),
      polls: q.polls,
      outcome: q.outcome.kind,
    }));
  }
}

function hasReference(quote: Quote): quote is ReferencedQuote {
  return quote.reference !== undefined;
}

/**
 * Our references are `<applicationId>:<insurerCode>` (lib/insurers/adapter.ts); the application is
 * what comes before the last colon. A reference of any other shape names no application of ours.
 */
export function applicationIdOf(reference: string): string | undefined {
  const colon = reference.lastIndexOf(':');
  return colon > 0 ? reference.slice(0, colon) : undefined;
}
