/**
 * When this node may call one insurer. Two rules hold across the cluster:
 * - after a 429 with Retry-After, every node waits it out (the pause is broadcast, see the service);
 * - the insurer's outbound rate (catalog) is shared: each node takes rate / (nodes running this
 *   insurer), recomputed as nodes come and go, so no shared counter is asked per call.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export class InsurerAdmission {
  private pausedUntilMs = 0;
  private limiter!: RateLimiterMemory;
  private pointsPerSecond = 0;

  constructor(private readonly ratePerSecond: number) {
    this.shareWith(1);
  }

  /** `nodes`: how many nodes run this insurer now, this one included. */
  shareWith(nodes: number): void {
    const points = Math.max(1, Math.floor(this.ratePerSecond / Math.max(1, nodes)));
    if (points === this.pointsPerSecond) return;
    this.pointsPerSecond = points;
    this.limiter = new RateLimiterMemory({ points, duration: 1, keyPrefix: 'insurer-calls' });
  }

  get share(): number {
    return this.pointsPerSecond;
  }

  /** true when this moves the pause later (so the caller tells the other nodes once, not per call). */
  pauseUntil(untilMs: number): boolean {
    if (untilMs <= this.pausedUntilMs) return false;
    this.pausedUntilMs = untilMs;
    return true;
  }

  get pausedUntil(): number {
    return this.pausedUntilMs;
  }

  /** 0 when a call may go now (and is counted), otherwise the milliseconds to wait first. */
  async next(now = Date.now()): Promise<number> {
    if (now < this.pausedUntilMs) return this.pausedUntilMs - now;
    try {
      await this.limiter.consume('calls');
      return 0;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, rejection.msBeforeNext);
      throw rejection;
    }
  }
}
