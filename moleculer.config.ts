/** Broker options derived from the typed config; the insurer call policy comes from lib/insurers/call-policy.ts. */
import type { BrokerOptions, ServiceBroker } from 'moleculer';
import { Middleware as ChannelsMiddleware } from '@moleculer/channels';
import type { AppConfig } from './lib/config';
import { pooledRandomIds } from './lib/context-ids';
import { breakerOptions } from './lib/insurers/call-policy';
import { maskedObjectPrinter } from './lib/personal-data/mask';
import { JetStreamChannels } from './middlewares/jetstream-channels';
import { NatsTransporter } from './middlewares/nats-transporter';
import { NodeReadyMiddleware } from './middlewares/node-ready';
import { ShutdownSignalMiddleware } from './middlewares/shutdown-signal';
import { auditReplCommand } from './services/audit/repl';
import { applicationReplCommand, insurersReplCommand } from './services/ops/repl';

export function channelAdapter(config: AppConfig): JetStreamChannels | string {
  if (config.durableChannels && config.transporter) {
    return new JetStreamChannels({ nats: { url: config.transporter, streamConfig: { max_age: config.cluster.streamMaxAgeMs * 1_000_000 } } });
  }
  // No broker: channels ride on Moleculer events, in memory (the applications service re-dispatches on restart).
  return 'Fake';
}

/** A stopping node stops receiving channel messages before its loops are told to let go of theirs. */
function stopReceiving(broker: ServiceBroker): void {
  const adapter = (broker as ServiceBroker & { channelAdapter?: unknown }).channelAdapter;
  if (adapter instanceof JetStreamChannels) adapter.stopDeliveries();
}

/** NATS reconnects quickly after an outage (Moleculer's default wait between attempts is 2 s). */
function transporterOptions(config: AppConfig): BrokerOptions['transporter'] {
  if (!config.transporter) return null as unknown as BrokerOptions['transporter'];
  if (!config.transporter.startsWith('nats://')) return config.transporter as BrokerOptions['transporter'];
  return new NatsTransporter({ url: config.transporter, reconnectTimeWait: 500 }) as unknown as BrokerOptions['transporter'];
}

export function brokerOptions(config: AppConfig, overrides: Partial<BrokerOptions> = {}): BrokerOptions {
  return {
    namespace: 'osago',
    nodeID: config.nodeId,
    transporter: transporterOptions(config),
    logLevel: config.logLevel as BrokerOptions['logLevel'],
    // every object a log line prints (moleculer-web's params at debug, errors, our own) goes through the mask
    logger: { type: 'Console', options: { formatter: 'short', colors: process.stdout.isTTY, objectPrinter: maskedObjectPrinter(process.stdout.isTTY) } },
    uidGenerator: pooledRandomIds(), // flat strings, cheaply (lib/context-ids.ts)
    requestTimeout: 10_000,
    // a node that died is dropped from the registry after 5 s, not Moleculer's default 30 s: until then
    // calls are still balanced to it and time out
    heartbeatInterval: 1,
    heartbeatTimeout: 5,
    circuitBreaker: breakerOptions(config.insurerCalls.circuitBreaker),
    retryPolicy: { enabled: false },
    bulkhead: { enabled: false, concurrency: 100, maxQueueSize: 100_000 },
    tracking: { enabled: true, shutdownTimeout: 5_000 },
    // Moleculer's own metrics and ours (lib/metrics.ts), as Prometheus text on METRICS_PORT
    metrics:
      config.metricsPort === undefined
        ? { enabled: false }
        : { enabled: true, reporter: [{ type: 'Prometheus', options: { port: config.metricsPort, host: config.host, path: '/metrics' } }] },
    replOptions: { customCommands: [auditReplCommand, insurersReplCommand, applicationReplCommand] },
    middlewares: [
      ShutdownSignalMiddleware(stopReceiving),
      ChannelsMiddleware({
        adapter: channelAdapter(config),
        context: false,
      } as Parameters<typeof ChannelsMiddleware>[0]),
      NodeReadyMiddleware(), // after the channels: see its comment
    ],
    ...overrides,
  };
}

export default brokerOptions;
