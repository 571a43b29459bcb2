/**
 * The NATS JetStream channel adapter of @moleculer/channels, with what a cluster that loses nodes
 * needs from it:
 * - two nodes starting at once may both create a channel's durable consumer; the loser's
 *   "consumer name already in use" is retried instead of failing the node's start;
 * - a durable consumer made by an earlier version keeps its old settings (nats.js binds to it as it
 *   is): the settings a channel asks for (ack wait, in-flight limit) are applied to it first;
 * - its connection reconnects forever and quickly, and a publish waits 2 s for JetStream's answer
 *   rather than 5: a publish retried through a broker outage then lands soon after NATS is back;
 * - a channel's stream keeps messages for a bounded time (the adapter's `streamConfig.max_age`):
 *   without it every request and answer ever sent stays on disk; a stream made by an earlier
 *   version gets the limit when a node subscribes;
 * - a stopping node first stops receiving (`stopDeliveries`), so the messages it hands back are
 *   redelivered to the other nodes rather than to itself, then waits for the handlers it still
 *   runs before the connection closes.
 */
import { Adapters } from '@moleculer/channels';
import { connect, type StreamConfig, type StreamInfo } from 'nats';
import { NO_ASYNC_TRACES } from '../lib/channels';
import type { Channel } from '@moleculer/channels/types/src';
import type { NatsDefaultOptions } from '@moleculer/channels/types/src/adapters/nats';

const NatsAdapter = Adapters.NATS;

const SUBSCRIBE_ATTEMPTS = 6;
const DRAIN_LIMIT_MS = 15_000;
const PUBLISH_ANSWER_MS = 2_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function streamNotFound(err: unknown): boolean {
  const api = (err as { api_error?: { err_code?: number } } | null)?.api_error;
  return api?.err_code === 10059 || /stream not found/i.test((err as Error | null)?.message ?? '');
}

function alreadyInUse(err: unknown): boolean {
  return /already in use/i.test((err as Error | null)?.message ?? '');
}

export class JetStreamChannels extends NatsAdapter {
  private readonly handedOver = new Set<string>();

  override async connect(): Promise<void> {
    const options = { ...this.opts.nats.connectionOptions, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: NO_ASYNC_TRACES };
    this.connection = await connect(options);
    this.manager = await this.connection.jetstreamManager();
    this.client = this.connection.jetstream({ timeout: PUBLISH_ANSWER_MS });
    this.connected = true;
  }

  /** A drain that fails (the connection was reconnecting or already draining) still ends in a close. */
  override async disconnect(): Promise<void> {
    this.stopping = true;
    const connection = this.connection;
    if (connection) {
      await connection.drain().catch(() => undefined);
      if (!connection.isClosed()) await connection.close().catch(() => undefined);
    }
    this.connected = false;
  }

  override async subscribe(chan: Channel & NatsDefaultOptions): Promise<void> {
    await this.applySettings(chan);
    for (let attempt = 1; ; attempt++) {
      try {
        return await super.subscribe(chan);
      } catch (err) {
        if (attempt >= SUBSCRIBE_ATTEMPTS || !alreadyInUse(err)) throw err;
        this.activeMessages.delete(chan.id); // the failed attempt started tracking; the next one starts again
        await pause(50 * attempt + Math.random() * 200);
      }
    }
  }

  override async createStream(streamName: string, subjects: string[], streamOpts: Partial<StreamConfig>): Promise<StreamInfo> {
    const maxAge = streamOpts?.max_age ?? this.opts.nats.streamConfig?.max_age;
    let existing: StreamInfo;
    try {
      existing = await this.manager.streams.info(streamName);
    } catch (err) {
      if (!streamNotFound(err)) throw err;
      return super.createStream(streamName, subjects, streamOpts as StreamConfig);
    }
    if (maxAge === undefined || existing.config.max_age === maxAge) return existing;
    try {
      const updated = await this.manager.streams.update(streamName, { ...existing.config, max_age: maxAge });
      this.logger.info(`stream ${streamName}: messages now kept for ${maxAge / 1e9} s`);
      return updated;
    } catch (err) {
      // a retention setting is no reason to keep a node from working: say so and go on
      this.logger.warn(`stream ${streamName}: could not set its max age: ${(err as Error).message}`);
      return existing;
    }
  }

  private async applySettings(chan: Channel & NatsDefaultOptions): Promise<void> {
    const stream = chan.name.split('.').join('_');
    const durable = chan.group.split('.').join('_');
    const wanted = { ...(chan.nats?.consumerOptions as { config?: Record<string, unknown> } | undefined)?.config };
    if (chan.maxInFlight) wanted.max_ack_pending = chan.maxInFlight;
    if (Object.keys(wanted).length === 0) return;
    let current: Record<string, unknown>;
    try {
      current = (await this.manager.consumers.info(stream, durable)).config as unknown as Record<string, unknown>;
    } catch {
      return; // no such stream or consumer yet: it is created with these settings
    }
    if (Object.entries(wanted).every(([key, value]) => current[key] === value)) return;
    await this.manager.consumers.update(stream, durable, wanted);
    this.logger.info(`consumer ${durable} of ${stream}: settings updated to ${JSON.stringify(wanted)}`);
  }

  /** No further message reaches this node; the ones it holds stay its own until it acks or naks them. */
  stopDeliveries(): void {
    for (const [id, sub] of this.subscriptions) {
      sub.unsubscribe();
      this.subscriptions.delete(id);
      this.handedOver.add(id);
    }
  }

  override async unsubscribe(chan: Channel): Promise<void> {
    if (!this.handedOver.has(chan.id)) return super.unsubscribe(chan);
    chan.unsubscribing = true;
    const until = Date.now() + DRAIN_LIMIT_MS;
    while (this.getNumberOfChannelActiveMessages(chan.id) > 0 && Date.now() < until) await pause(25);
    this.activeMessages.delete(chan.id);
  }
}
