/**
 * The system's own Prometheus metrics (CONTRACT §8), beside Moleculer's: registered once per
 * broker, and harmless to call when metrics are off (METRICS_PORT unset), as Moleculer's registry
 * then ignores them. Each node counts what it did; Prometheus sums the nodes.
 */
import type { ServiceBroker } from 'moleculer';
import type { Quote } from './quotes/types';

export const METRIC = {
  applications: 'osago_applications_total',
  quotes: 'osago_quotes_total',
  offerSeconds: 'osago_offer_seconds',
  circuitOpen: 'osago_circuit_open',
} as const;

/** Offers come within a deadline of 60 s: buckets from a tenth of a second to past it. */
const OFFER_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90];

const registered = new WeakSet<ServiceBroker>();

function ensureRegistered(broker: ServiceBroker): void {
  if (registered.has(broker) || !broker.isMetricsEnabled()) return;
  registered.add(broker);
  broker.metrics.register({ type: 'counter', name: METRIC.applications, description: 'Applications accepted for quoting' });
  broker.metrics.register({ type: 'counter', name: METRIC.quotes, labelNames: ['insurer', 'status'], description: 'Quotes that reached a final state, by insurer and status' });
  broker.metrics.register({
    type: 'histogram',
    name: METRIC.offerSeconds,
    labelNames: ['insurer'],
    buckets: OFFER_BUCKETS,
    unit: 'seconds',
    description: "Time from an application's creation to an insurer's offer",
  });
  broker.metrics.register({ type: 'gauge', name: METRIC.circuitOpen, labelNames: ['insurer'], description: "1 while the insurer's circuit is open on this node" });
}

export function countApplication(broker: ServiceBroker): void {
  ensureRegistered(broker);
  broker.metrics.increment(METRIC.applications);
}

export function countFinalQuotes(broker: ServiceBroker, quotes: Iterable<Quote>): void {
  ensureRegistered(broker);
  for (const quote of quotes) if (quote.status !== 'pending') broker.metrics.increment(METRIC.quotes, { insurer: quote.insurer.code, status: quote.status });
}

export function observeOffer(broker: ServiceBroker, insurer: string, seconds: number): void {
  ensureRegistered(broker);
  broker.metrics.observe(METRIC.offerSeconds, Math.max(0, seconds), { insurer });
}

export function setCircuitOpen(broker: ServiceBroker, insurer: string, open: boolean): void {
  ensureRegistered(broker);
  broker.metrics.set(METRIC.circuitOpen, open ? 1 : 0, { insurer });
}
