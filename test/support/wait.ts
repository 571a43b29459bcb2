/**
 * Waiting on a condition instead of a fixed sleep. Imports nothing, so light helpers
 * (processes.ts, which the bench uses too) can share it.
 */

/**
 * Polls `check` every `everyMs` until it returns something other than `undefined`, and resolves
 * with that; rejects after `timeoutMs`, adding `describe()` (when given) to say what was last seen.
 * An error thrown by `check` is not retried: it rejects at once.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  everyMs = 50,
  describe?: () => string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms${describe ? `: ${describe()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once the clock reads later than `instantMs`: what happens next gets a later timestamp. */
export async function clockPast(instantMs: number): Promise<void> {
  await eventually(() => (Date.now() > instantMs ? true : undefined), 1_000, 1, () => `the clock did not pass ${new Date(instantMs).toISOString()}`);
}
