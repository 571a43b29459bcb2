/**
 * A stop that thousands of waits listen to at once (every sleeping quote loop, every insurer call in
 * flight). An AbortSignal would do, but its addEventListener scans the listeners already there, so
 * registering n waits costs n²: with a few thousand quotes in flight that alone took seconds of CPU.
 * Here a listener is one Set entry.
 */
export interface Cancellation {
  readonly aborted: boolean;
  /** Calls `listener` once on stop (at once if stopped already); the result unregisters it. */
  onStop(listener: () => void): () => void;
}

export class StopSignal implements Cancellation {
  private readonly listeners = new Set<() => void>();
  private stopped = false;

  get aborted(): boolean {
    return this.stopped;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener();
  }

  onStop(listener: () => void): () => void {
    if (this.stopped) {
      listener();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Sleeps `ms`, or less if `signal` stops first. */
export function sleepUnless(signal: Cancellation, ms: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    let forget = () => undefined as unknown;
    const timer = setTimeout(() => {
      forget();
      resolve();
    }, ms);
    forget = signal.onStop(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
