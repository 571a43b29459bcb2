/**
 * The insurers' side of a load, from the sandbox's own record (CONTRACT §6): the calls they
 * received, how often each quote was polled, and how long an offer took to reach our client after
 * the insurer had it ready. Client and sandbox stamp times with the same machine's clock.
 */
import type { AppliedApplication } from './load';
import { percentile } from './proc';

interface SandboxQuoteRecord {
  insurer: string;
  readyAt: string; // ISO 8601
  polls: number;
  outcome: 'offer' | 'declined';
}

export interface OfferFigures {
  quotes: number;
  offers: number;
  offerLagP50Ms: number;
  offerLagP99Ms: number;
  /** The offer lag's two parts: insurer ready → our system has the answer (polling), then → our client (delivery). */
  pollLagP50Ms: number;
  pollLagP99Ms: number;
  deliveryLagP50Ms: number;
  deliveryLagP99Ms: number;
  pollsPerQuote: number;
  /** Over the quotes polled at least once: a refusal at create needs no poll. */
  pollsPerPolledQuote: number;
  firstOfferP50Ms: number;
  firstOfferP99Ms: number;
  /** Per insurer: polls per quote and offer lag p50/p99, to tell which insurer costs what. */
  byInsurer: Record<string, { pollsPerQuote: number; lagP50Ms: number; lagP99Ms: number }>;
}

const FETCH_CONCURRENCY = 8;

/** Requests every insurer has received so far, faults included. */
export async function insurerCalls(sandboxBase: string): Promise<number> {
  const insurers = (await (await fetch(`${sandboxBase}/sandbox/insurers`)).json()) as { calls: number }[];
  return insurers.reduce((sum, i) => sum + i.calls, 0);
}

export async function offerFigures(sandboxBase: string, applications: AppliedApplication[]): Promise<OfferFigures> {
  const lags: number[] = [];
  const pollLags: number[] = [];
  const deliveryLags: number[] = [];
  let quotes = 0;
  let polls = 0;
  let polledQuotes = 0;
  let next = 0;
  const perInsurer = new Map<string, { quotes: number; polls: number; lags: number[] }>();
  const readRecords = async () => {
    while (next < applications.length) {
      const app = applications[next++];
      const response = await fetch(`${sandboxBase}/sandbox/quotes?applicationId=${encodeURIComponent(app.id)}`);
      for (const record of (await response.json()) as SandboxQuoteRecord[]) {
        quotes += 1;
        polls += record.polls;
        const mine = perInsurer.get(record.insurer) ?? { quotes: 0, polls: 0, lags: [] };
        perInsurer.set(record.insurer, mine);
        mine.quotes += 1;
        mine.polls += record.polls;
        if (record.polls > 0) polledQuotes += 1;
        const received = app.finals.get(record.insurer);
        if (record.outcome === 'offer' && received?.status === 'offer') {
          lags.push(received.at - Date.parse(record.readyAt));
          mine.lags.push(received.at - Date.parse(record.readyAt));
          pollLags.push(received.settledAt - Date.parse(record.readyAt));
          deliveryLags.push(received.at - received.settledAt);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: FETCH_CONCURRENCY }, readRecords));

  const toFirstOffer = applications.flatMap((a) => (a.firstOfferAt === undefined ? [] : [a.firstOfferAt - a.appliedAt]));
  for (const list of [lags, pollLags, deliveryLags]) list.sort((a, b) => a - b);
  toFirstOffer.sort((a, b) => a - b);
  return {
    quotes,
    offers: lags.length,
    offerLagP50Ms: percentile(lags, 0.5) ?? NaN,
    offerLagP99Ms: percentile(lags, 0.99) ?? NaN,
    pollLagP50Ms: percentile(pollLags, 0.5) ?? NaN,
    pollLagP99Ms: percentile(pollLags, 0.99) ?? NaN,
    deliveryLagP50Ms: percentile(deliveryLags, 0.5) ?? NaN,
    deliveryLagP99Ms: percentile(deliveryLags, 0.99) ?? NaN,
    pollsPerQuote: +(polls / Math.max(1, quotes)).toFixed(2),
    pollsPerPolledQuote: +(polls / Math.max(1, polledQuotes)).toFixed(2),
    firstOfferP50Ms: percentile(toFirstOffer, 0.5) ?? NaN,
    firstOfferP99Ms: percentile(toFirstOffer, 0.99) ?? NaN,
    byInsurer: Object.fromEntries([...perInsurer].sort(([a], [b]) => a.localeCompare(b)).map(([code, f]) => {
      f.lags.sort((a, b) => a - b);
      return [code, { pollsPerQuote: +(f.polls / f.quotes).toFixed(2), lagP50Ms: percentile(f.lags, 0.5) ?? NaN, lagP99Ms: percentile(f.lags, 0.99) ?? NaN }];
    })),
  };
}
