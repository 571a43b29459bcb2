/** One process's progress (embedded defaults): nothing outlives the process, and nothing needs to. */
import { progressKey, type QuoteProgress, type QuoteProgressStore } from './types';

export class MemoryProgress implements QuoteProgressStore {
  private readonly entries = new Map<string, { progress: QuoteProgress; expiresAt: number }>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly ttlMs: number) {
    this.sweep = setInterval(() => this.forgetExpired(), Math.min(ttlMs, 60_000));
    this.sweep.unref();
  }

  async read(applicationId: string, insurerCode: string, _untilMs?: number): Promise<QuoteProgress | undefined> {
    return this.entries.get(progressKey(applicationId, insurerCode))?.progress;
  }

  async write(applicationId: string, insurerCode: string, progress: QuoteProgress, _untilMs?: number): Promise<void> {
    this.entries.set(progressKey(applicationId, insurerCode), { progress, expiresAt: Date.now() + this.ttlMs });
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    this.entries.clear();
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
