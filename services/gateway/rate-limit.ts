/**
 * New applications per minute per partner key (REST) or client address (Socket.IO), shared
 * through Redis when REDIS_URL is set so that every gateway node counts against one budget.
 */
import Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../lib/errors';

export class ApplicationRateLimiter {
  private readonly limiter: RateLimiterAbstract;
  private readonly redis?: Redis;

  constructor(perMinute: number, redisUrl?: string) {
    const options = { points: perMinute, duration: 60, keyPrefix: 'osago:rl:applications' };
    if (redisUrl) {
      this.redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      this.redis.on('error', () => undefined); // the insurance limiter covers an outage; ioredis reconnects
      this.limiter = new RateLimiterRedis({ ...options, storeClient: this.redis, insuranceLimiter: new RateLimiterMemory(options) });
    } else {
      this.limiter = new RateLimiterMemory(options);
    }
  }

  /** Throws RateLimitedError (429 with Retry-After) once `key` has used its minute. */
  async consume(key: string): Promise<void> {
    try {
      await this.limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
      throw rejection;
    }
  }

  async close(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}
