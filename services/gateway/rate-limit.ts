/**
 * New applications per minute per partner key (REST) or client address (Socket.IO), shared
 * through Redis when REDIS_URL is set so that every gateway node counts against one budget.
 */
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../lib/errors';

const WINDOW_SECONDS = 60;

/** A key's state in the current window, as the X-RateLimit-* headers tell it. */
export interface RateLimitWindow {
  limit: number;
  remaining: number;
  /** Seconds until the window resets (0: no window is running, the whole limit is available). */
  resetSeconds: number;
  exceeded: boolean;
}

/** The limiter key of a partner's REST applications (Socket.IO clients count by address). */
export function partnerLimitKey(partner: string): string {
  return `partner:${partner}`;
}

export function rateLimitHeaders(window: RateLimitWindow): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(window.limit),
    'X-RateLimit-Remaining': String(window.remaining),
    'X-RateLimit-Reset': String(window.resetSeconds),
  };
}

export class ApplicationRateLimiter {
  private readonly limiter: RateLimiterAbstract;
  private readonly redis?: Redis;

  constructor(private readonly perMinute: number, redisUrl?: string) {
    const options = { points: perMinute, duration: WINDOW_SECONDS, keyPrefix: 'osago:rl:applications' };
    if (redisUrl) {
      this.redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      this.redis.on('error', () => undefined); // the insurance limiter covers an outage; ioredis reconnects
      this.limiter = new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) });
    } else {
      this.limiter = new RateLimiterMemory(options);
    }
  }

  /** Counts one new application for `key`; `exceeded` once the key has used its minute. */
  async take(key: string): Promise<RateLimitWindow> {
    try {
      return this.windowOf(await this.limiter.consume(key), false);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.windowOf(rejection, true);
      throw rejection;
    }
  }

  /** Throws RateLimitedError (429 with Retry-After) once `key` has used its minute. */
  async consume(key: string): Promise<void> {
    const window = await this.take(key);
    if (window.exceeded) throw new RateLimitedError(Math.max(1, window.resetSeconds));
  }

  /** As take(), and puts the window in the answer's headers (moleculer-web's $responseHeaders) before a 429 is thrown. */
  async consumeAnswering(key: string, meta: { $responseHeaders?: Record<string, string> }): Promise<void> {
    const window = await this.take(key);
    meta.$responseHeaders = { ...meta.$responseHeaders, ...rateLimitHeaders(window) };
    if (window.exceeded) throw new RateLimitedError(Math.max(1, window.resetSeconds));
  }

  /** The window without counting: for a request refused before it was counted (a body that is not JSON, too large). */
  async peek(key: string): Promise<RateLimitWindow> {
    const state = await this.limiter.get(key);
    return state ? this.windowOf(state, state.remainingPoints <= 0) : { limit: this.perMinute, remaining: this.perMinute, resetSeconds: 0, exceeded: false };
  }

  private windowOf(state: RateLimiterRes, exceeded: boolean): RateLimitWindow {
    return {
      limit: this.perMinute,
      remaining: Math.max(0, state.remainingPoints),
      resetSeconds: Math.ceil(Math.max(0, state.msBeforeNext) / 1000),
      exceeded,
    };
  }

  async close(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}
