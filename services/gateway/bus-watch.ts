/**
 * Calls back when the node's NATS connection comes back after an outage. Moleculer's NATS
 * transporter only logs the client's status, and broker events sent meanwhile are gone: the gateway
 * uses this to fill the gap from snapshots at once, not only at the deadline.
 */
import type { ServiceBroker } from 'moleculer';

interface StatusSource {
  status(): AsyncIterable<{ type: string }>;
}

export function onBusReconnect(broker: ServiceBroker, callback: () => void): void {
  const client = (broker as unknown as { transit?: { tx?: { client?: Partial<StatusSource> } } }).transit?.tx?.client;
  if (typeof client?.status !== 'function') return; // no transporter, or not NATS
  const statuses = client.status();
  void (async () => {
    // a moment for the other nodes to announce themselves again before their services are called
    for await (const s of statuses) if (s.type === 'reconnect') setTimeout(callback, 1_500).unref();
  })().catch(() => undefined);
}
