/**
 * The progress store a node's insurer services share: NATS KV in a cluster, memory on embedded
 * defaults. One per broker, opened by the first insurer service and closed by the last.
 */
import type { ServiceBroker } from 'moleculer';
import type { AppConfig } from '../../../lib/config';
import { MemoryProgress } from './memory';
import { NatsKvProgress } from './nats-kv';
import type { QuoteProgressStore } from './types';

export type { QuoteProgress, QuoteProgressStore } from './types';

const KEEP_AFTER_DEADLINE_MS = 10 * 60_000;

interface Shared {
  store: Promise<QuoteProgressStore>;
  users: number;
}

const shared = new WeakMap<ServiceBroker, Shared>();

function open(config: AppConfig, broker: ServiceBroker): Promise<QuoteProgressStore> {
  const ttlMs = config.quoteDeadlineMs + KEEP_AFTER_DEADLINE_MS;
  if (config.durableChannels && config.transporter) return NatsKvProgress.open(config.transporter, ttlMs, broker.getLogger('quote-progress'));
  return Promise.resolve(new MemoryProgress(ttlMs));
}

export function acquireProgressStore(config: AppConfig, broker: ServiceBroker): Promise<QuoteProgressStore> {
  let entry = shared.get(broker);
  if (!entry) {
    entry = { store: open(config, broker), users: 0 };
    shared.set(broker, entry);
  }
  entry.users += 1;
  return entry.store;
}

export async function releaseProgressStore(broker: ServiceBroker): Promise<void> {
  const entry = shared.get(broker);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  shared.delete(broker);
  await (await entry.store).close();
}
