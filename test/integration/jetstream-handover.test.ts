/**
 * What the cluster relies on from JetStream, on a nats-server of the test's own: a held message
 * stays with a live holder past the ack wait, a stopping node hands its messages to another node at
 * once, two nodes can create one durable consumer together, an old consumer gets the channel's
 * settings, a stream keeps messages for a bounded time, a publish rides out a short outage (once), and quote progress is shared and kept.
 */
import crypto from 'node:crypto';
import { ServiceBroker, type ServiceSchema } from 'moleculer';
import { AckPolicy, connect } from 'nats';
import { loadConfig, type AppConfig } from '../../lib/config';
import { brokerOptions } from '../../moleculer.config';
import { heldChannelOptions, keepHolding, publish, wasRedelivered } from '../../mixins/channels';
import { InterruptedError, ErrorType } from '../../lib/errors';
import { shutdownSignal, sleepUnless } from '../../middlewares/shutdown-signal';
import { NatsKvProgress } from '../../services/insurers/progress/nats-kv';
import { OwnNatsServer } from '../support/nats-server';
import { eventually } from '../support/wait';

jest.setTimeout(60_000);

interface Delivery {
  node: string;
  payload: { n: number };
  redelivered: boolean;
}

let nats: OwnNatsServer;
const brokers: ServiceBroker[] = [];

beforeAll(async () => {
  nats = await OwnNatsServer.start();
});

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop().catch(() => undefined)));
});

afterAll(async () => {
  await nats.stop();
});

function configFor(node: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({ TRANSPORTER: nats.url, NODE_ID: node, LOG_LEVEL: 'error', ...env });
}

/** A node whose one channel handler holds each message until `release` or until the node stops (then hands it back). */
function holdingNode(node: string, channel: string, seen: Delivery[], options: { env?: Record<string, string>; holdMs?: number } = {}) {
  const config = configFor(node, options.env);
  const broker = new ServiceBroker(brokerOptions(config, { skipProcessEventRegistration: true }));
  const schema = {
    name: 'holder',
    channels: {
      [channel]: {
        group: 'holders',
        maxInFlight: 100,
        ...heldChannelOptions(config.cluster),
        async handler(payload: unknown, raw?: unknown) {
          seen.push({ node, payload: payload as { n: number }, redelivered: wasRedelivered(raw) });
          const stopHolding = keepHolding(raw, config.cluster);
          try {
            const stopping = shutdownSignal(broker);
            await sleepUnless(stopping, options.holdMs ?? 600_000);
            if (stopping.aborted) throw new InterruptedError('test message');
          } finally {
            stopHolding();
          }
        },
      },
    },
  };
  broker.createService(schema as unknown as ServiceSchema);
  brokers.push(broker);
  return broker;
}

const channelName = () => `test.held.${crypto.randomBytes(4).toString('hex')}`;

function send(broker: ServiceBroker, channel: string, n: number): Promise<void> {
  return publish(broker, channel, { n }, { retryForMs: 0 });
}

test('two nodes creating the same durable consumer at once both start', async () => {
  for (let round = 0; round < 3; round++) {
    const channel = channelName();
    const a = holdingNode(`a${round}`, channel, []);
    const b = holdingNode(`b${round}`, channel, []);
    await expect(Promise.all([a.start(), b.start()])).resolves.toBeDefined();
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('a live holder keeps its message past the ack wait: nobody else is given it', async () => {
  const channel = channelName();
  const seen: Delivery[] = [];
  const env = { CLUSTER_ACK_WAIT_MS: '1000' }; // heartbeats every 250 ms
  const a = holdingNode('a', channel, seen, { env, holdMs: 3_500 });
  await a.start();
  await send(a, channel, 1);
  await eventually(() => (seen.length === 1 ? true : undefined), 5_000);
  const b = holdingNode('b', channel, seen, { env });
  await b.start();
  // a finishes after 3.5 s, three and a half ack waits: a redelivery would have reached b by then
  await new Promise((resolve) => setTimeout(resolve, 4_500));
  expect(seen.map((d) => d.node)).toEqual(['a']);
});

test('a stopping node hands its held messages to another node at once, long before the ack wait', async () => {
  const channel = channelName();
  const seen: Delivery[] = [];
  const env = { CLUSTER_ACK_WAIT_MS: '30000' };
  const a = holdingNode('a', channel, seen, { env });
  await a.start();
  for (let n = 0; n < 5; n++) await send(a, channel, n);
  await eventually(() => (seen.length === 5 ? true : undefined), 5_000, 20, () => `a holds ${seen.length} of 5`);
  const b = holdingNode('b', channel, seen, { env });
  await b.start();

  const stoppedAt = Date.now();
  await a.stop();
  const taken = await eventually(() => {
    const atB = seen.filter((d) => d.node === 'b');
    return atB.length === 5 ? atB : undefined;
  }, 10_000, 20, () => `b has ${seen.filter((d) => d.node === 'b').length} of 5`);
  expect(Date.now() - stoppedAt).toBeLessThan(10_000); // the ack wait is 30 s: this was a hand-back
  expect(taken.map((d) => d.payload.n).sort()).toEqual([0, 1, 2, 3, 4]);
  expect(taken.every((d) => d.redelivered)).toBe(true);
});

test('a durable consumer made with other settings gets the channel\'s ack wait and in-flight limit', async () => {
  const channel = channelName();
  const prefixed = `osago.${channel}`;
  const stream = prefixed.split('.').join('_');
  const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [prefixed] });
    await jsm.consumers.add(stream, { durable_name: 'holders', ack_policy: AckPolicy.Explicit, ack_wait: 90_000_000_000, deliver_subject: `old.${stream}`, deliver_group: stream });
    const node = holdingNode('a', channel, []);
    await node.start();
    const info = await jsm.consumers.info(stream, 'holders');
    expect(info.config.ack_wait).toBe(configFor('a').cluster.ackWaitMs * 1_000_000);
    expect(info.config.max_ack_pending).toBe(100);
  } finally {
    await nc.close();
  }
});

test('a channel\'s stream keeps messages for CLUSTER_STREAM_MAX_AGE_MS: a new one is made so, an old one without a limit gets it', async () => {
  const env = { CLUSTER_STREAM_MAX_AGE_MS: '120000' };
  const [fresh, old] = [channelName(), channelName()];
  const streamOf = (channel: string) => `osago.${channel}`.split('.').join('_');
  const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: streamOf(old), subjects: [`osago.${old}`], description: 'made by an earlier version', max_msgs: 1_000_000 });
    expect((await jsm.streams.info(streamOf(old))).config.max_age).toBe(0); // no limit: what an earlier version made
    for (const channel of [fresh, old]) await holdingNode(channel, channel, [], { env }).start();
    for (const channel of [fresh, old]) expect((await jsm.streams.info(streamOf(channel))).config.max_age).toBe(120_000 * 1_000_000);
    // and only the age changed: the old stream's own settings stay
    const kept = (await jsm.streams.info(streamOf(old))).config;
    expect([kept.description, kept.max_msgs, kept.subjects]).toEqual(['made by an earlier version', 1_000_000, [`osago.${old}`]]);
    // the default is an hour
    expect(configFor('x').cluster.streamMaxAgeMs).toBe(3_600_000);
  } finally {
    await nc.close();
  }
});

test('a publish during a broker outage is retried and lands once; past its budget the caller gets BUS_UNAVAILABLE', async () => {
  const channel = channelName();
  const seen: Delivery[] = [];
  const a = holdingNode('a', channel, seen, { holdMs: 0 });
  await a.start();

  await nats.kill();
  const publishing = publish(a, channel, { n: 7 }, { messageId: `n7-${channel}`, retryForMs: 20_000 });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await nats.restart();
  await publishing;
  await eventually(() => (seen.length > 0 ? true : undefined), 15_000);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(seen.map((d) => d.payload.n)).toEqual([7]);

  await nats.kill();
  try {
    const started = Date.now();
    await expect(publish(a, channel, { n: 8 }, { retryForMs: 1_000 })).rejects.toMatchObject({ type: ErrorType.busUnavailable, code: 503 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  } finally {
    await nats.restart();
  }
});

test('quote progress written by one worker is read by another, and outlives a NATS restart', async () => {
  const logger = new ServiceBroker({ logger: false }).getLogger('test');
  const one = await NatsKvProgress.open(nats.url, 60_000, logger);
  const other = await NatsKvProgress.open(nats.url, 60_000, logger);
  try {
    const applicationId = crypto.randomUUID();
    expect(await other.read(applicationId, 'tri-kita', Date.now() + 5_000)).toBeUndefined();
    const progress = { stage: 'accepted' as const, externalId: 'ext-42', nextPollAtMs: 123, createdAtMs: 100, node: 'w1' };
    await one.write(applicationId, 'tri-kita', progress, Date.now() + 5_000);
    expect(await other.read(applicationId, 'tri-kita', Date.now() + 5_000)).toEqual(progress);
    expect(await other.read(applicationId, 'lastochka', Date.now() + 5_000)).toBeUndefined();

    await nats.kill();
    await nats.restart();
    const after = await eventually(() => other.read(applicationId, 'tri-kita', Date.now() + 15_000), 15_000, 200);
    expect(after).toEqual(progress);

    // written while NATS is down: the write is retried and lands once NATS is back
    await nats.kill();
    const later = { ...progress, externalId: 'ext-43' };
    await one.write(applicationId, 'lastochka', later, Date.now() + 30_000);
    await nats.restart();
    expect(await eventually(() => other.read(applicationId, 'lastochka', Date.now() + 15_000), 20_000, 200)).toEqual(later);
  } finally {
    await Promise.all([one.close(), other.close()]);
  }
});
