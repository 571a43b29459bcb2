/**
 * The typed face of what the @moleculer/channels middleware adds: publishing that survives a short
 * broker outage, and the heartbeat that keeps a held JetStream message this node's.
 */
import type { ServiceBroker } from 'moleculer';
import type { ClusterSettings } from '../lib/config';
import { BusUnavailableError } from '../lib/errors';

interface ChannelsBroker {
  sendToChannel(channelName: string, payload: unknown, opts?: Record<string, unknown>): Promise<void>;
}

export interface PublishOptions {
  /** JetStream drops a second message with the same id within its duplicate window: a retried publish is safe. */
  messageId?: string;
  /** Retry through an outage this long, then throw BusUnavailableError. */
  retryForMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function publish(broker: ServiceBroker, channelName: string, payload: unknown, options: PublishOptions): Promise<void> {
  const send = (broker as ServiceBroker & ChannelsBroker).sendToChannel.bind(broker);
  const opts = options.messageId ? { msgID: options.messageId } : undefined;
  const giveUpAt = Date.now() + options.retryForMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      return await send(channelName, payload, opts);
    } catch (err) {
      if (Date.now() + delay > giveUpAt) {
        broker.logger.warn(`publishing to ${channelName} failed for ${options.retryForMs} ms: ${(err as Error).message}`);
        throw new BusUnavailableError(channelName, (err as Error).message);
      }
      await sleep(delay);
    }
  }
}

/** The part of a JetStream message a handler uses; the in-memory adapter hands none. */
export interface HeldMessage {
  working(): void;
  info?: { redelivered?: boolean; redeliveryCount?: number };
}

export function heldMessage(raw: unknown): HeldMessage | undefined {
  return typeof (raw as HeldMessage | undefined)?.working === 'function' ? (raw as HeldMessage) : undefined;
}

/** Whether JetStream has delivered this message before (to this or another node). */
export function wasRedelivered(raw: unknown): boolean {
  return Boolean(heldMessage(raw)?.info?.redelivered);
}

/**
 * Signals JetStream every `everyMs` that this node still works on the message, so only a node that
 * stopped signalling (dead, frozen) loses it, after the channel's ack wait. Call the result to stop.
 */
export function keepHolding(raw: unknown, settings: Pick<ClusterSettings, 'heartbeatMs'>): () => void {
  const message = heldMessage(raw);
  if (!message) return () => undefined;
  const timer = setInterval(() => {
    try {
      message.working();
    } catch {
      // the connection is down; JetStream redelivers after the ack wait if we do not come back
    }
  }, settings.heartbeatMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Channel options for a cluster: JetStream redelivers a message whose holder has not signalled
 * within the ack wait, and gives one up only after many deliveries (a handed-back quote counts).
 */
export function heldChannelOptions(settings: Pick<ClusterSettings, 'ackWaitMs' | 'maxDeliveries'>) {
  return {
    maxRetries: settings.maxDeliveries,
    nats: { consumerOptions: { config: { ack_wait: settings.ackWaitMs * 1_000_000 } } },
  };
}
