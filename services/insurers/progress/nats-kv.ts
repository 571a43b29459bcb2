/**
 * Progress in a NATS JetStream key-value bucket: it is there wherever a cluster is (the channels
 * already need JetStream), file-backed so a NATS restart keeps it, and each key expires with the
 * bucket's TTL, so nothing has to clean up after a quote.
 */
import { connect, JSONCodec, StorageType, type KV, type NatsConnection } from 'nats';
import type { Logger } from 'moleculer';
import { NO_ASYNC_TRACES } from '../../../lib/channels';
import { progressKey, type QuoteProgress, type QuoteProgressStore } from './types';

const BUCKET = 'osago_quote_progress';
const codec = JSONCodec<QuoteProgress>();

const RETRY_MS = 250;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class NatsKvProgress implements QuoteProgressStore {
  private closed = false;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly kv: KV,
    private readonly logger: Logger,
  ) {}

  static async open(url: string, ttlMs: number, logger: Logger): Promise<NatsKvProgress> {
    const servers = url.split(',').map((u) => new URL(u.trim()).host);
    const connection = await connect({ servers, maxReconnectAttempts: -1, name: 'osago-quote-progress', noAsyncTraces: NO_ASYNC_TRACES });
    // a short timeout: a write that cannot land quickly is not worth holding a quote loop for
    const js = connection.jetstream({ timeout: 2_000 });
    let kv: KV;
    try {
      kv = await js.views.kv(BUCKET, { history: 1, ttl: ttlMs, storage: StorageType.File });
    } catch (err) {
      // the bucket exists with other settings (another deadline): use it as it is
      logger.warn(`quote progress bucket: ${(err as Error).message}; binding to the existing one`);
      kv = await js.views.kv(BUCKET, { bindOnly: true });
    }
    return new NatsKvProgress(connection, kv, logger);
  }

  async read(applicationId: string, insurerCode: string, untilMs: number): Promise<QuoteProgress | undefined> {
    const key = progressKey(applicationId, insurerCode);
    for (;;) {
      try {
        const entry = await this.kv.get(key);
        return entry && entry.operation === 'PUT' && entry.value.length > 0 ? codec.decode(entry.value) : undefined;
      } catch (err) {
        if (Date.now() + RETRY_MS >= untilMs) {
          this.logger.warn(`reading quote progress of ${key} failed until the deadline: ${(err as Error).message}`);
          return undefined;
        }
        await pause(RETRY_MS);
      }
    }
  }

  /** Resolves once the first attempt has landed or failed; a failed one is retried in the background. */
  async write(applicationId: string, insurerCode: string, progress: QuoteProgress, untilMs: number): Promise<void> {
    const key = progressKey(applicationId, insurerCode);
    const value = codec.encode(progress);
    const attempt = async (): Promise<void> => {
      try {
        await this.kv.put(key, value);
      } catch (err) {
        if (this.closed || Date.now() + RETRY_MS >= untilMs) {
          this.logger.warn(`recording quote progress of ${key} failed: ${(err as Error).message}`);
          return;
        }
        setTimeout(() => void attempt(), RETRY_MS).unref();
      }
    };
    await attempt();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connection.drain().catch(() => undefined);
  }
}
