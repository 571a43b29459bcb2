/**
 * Broker options derived from the typed config. The circuit breaker is enabled at broker level on
 * purpose: Moleculer only resets a breaker's counting window when it is enabled there; `check`
 * narrows it to insurer failures so no other action is ever tripped.
 */
import type { BrokerOptions } from 'moleculer';
import { Middleware as ChannelsMiddleware } from '@moleculer/channels';
import type { AppConfig } from './lib/config';
import { isInsurerFailure } from './lib/errors';
import { ShutdownSignalMiddleware } from './middlewares/shutdown-signal';

export function channelAdapter(config: AppConfig): string | Record<string, unknown> {
  if (config.durableChannels && config.transporter) {
    // a quote loop holds its message until the insurer answers or the deadline passes: JetStream must
    // not redeliver it meanwhile (its default ack_wait is 30 s), or the insurer would be asked twice
    const ackWaitNanos = (config.quoteDeadlineMs + 30_000) * 1_000_000;
    return {
      type: 'NATS',
      options: { nats: { url: config.transporter, consumerOptions: { config: { ack_wait: ackWaitNanos } } } },
    };
  }
  // No broker: channels ride on Moleculer events, in memory (the applications service re-dispatches on restart).
  return 'Fake';
}

export function brokerOptions(config: AppConfig, overrides: Partial<BrokerOptions> = {}): BrokerOptions {
  const cb = config.insurerCalls.circuitBreaker;
  return {
    namespace: 'osago',
    nodeID: config.nodeId,
    transporter: (config.transporter ?? null) as BrokerOptions['transporter'],
    logLevel: config.logLevel as BrokerOptions['logLevel'],
    logger: { type: 'Console', options: { formatter: 'short', colors: process.stdout.isTTY } },
    requestTimeout: 10_000,
    circuitBreaker: {
      enabled: true,
      threshold: cb.threshold,
      minRequestCount: cb.minRequestCount,
      windowTime: cb.windowTimeSec,
      halfOpenTime: cb.halfOpenTimeMs,
      check: isInsurerFailure,
    },
    retryPolicy: { enabled: false },
    bulkhead: { enabled: false, concurrency: 100, maxQueueSize: 100_000 },
    tracking: { enabled: true, shutdownTimeout: 5_000 },
    middlewares: [
      ShutdownSignalMiddleware(),
      ChannelsMiddleware({
        adapter: channelAdapter(config),
        context: false,
      } as Parameters<typeof ChannelsMiddleware>[0]),
    ],
    ...overrides,
  };
}

export default brokerOptions;
