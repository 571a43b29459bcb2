/**
 * In-memory applications with a time to live and a size cap, so a benchmark pushing thousands of
 * applications cannot grow memory without bound. All entries share one TTL, so insertion order is
 * expiry order and eviction only ever looks at the oldest.
 */
export class ExpiringStore<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  set(key: string, value: V): void {
    this.evict();
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  private evict(): void {
    const now = this.now();
    for (const [key, e] of this.entries) {
      if (e.expiresAt > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
