/**
 * Timers for applications due before the next deadline sweep, so each is expired at its deadline
 * rather than up to a sweep interval later. Timers that fire in the same turn of the event loop
 * are handed over as one batch: hundreds due at the same moment become one store call.
 */
export class ExpiryTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private batch: string[] = [];

  constructor(
    private readonly expire: (ids: string[]) => Promise<void>,
    private readonly failed: (ids: string[], err: unknown) => void,
  ) {}

  /** Does nothing for an id that already has its timer. */
  at(id: string, deadlineMs: number): void {
    if (this.timers.has(id)) return;
    this.arm(id, deadlineMs);
  }

  /** A timer can fire a millisecond before Date.now() reaches its time (libuv counts whole ms on its own clock): then wait out the rest. */
  private arm(id: string, deadlineMs: number): void {
    this.timers.set(
      id,
      setTimeout(() => (Date.now() < deadlineMs ? this.arm(id, deadlineMs) : this.due(id)), Math.max(0, deadlineMs - Date.now())),
    );
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.batch = [];
  }

  private due(id: string): void {
    if (this.batch.push(id) > 1) return;
    setImmediate(() => {
      const ids = this.batch;
      this.batch = [];
      this.expire(ids)
        .catch((err: unknown) => this.failed(ids, err)) // still due in the store: the next sweep takes them
        .finally(() => {
          for (const done of ids) this.timers.delete(done);
        });
    });
  }
}
