/** When a failed delivery is tried again: doubling from the first delay, capped, with ±20 % jitter so that a receiver coming back is not hit by every retry at once. */
export interface BackoffSettings {
  firstRetryMs: number;
  maxRetryMs: number;
}

export function retryDelayMs(attempts: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const base = Math.min(settings.firstRetryMs * 2 ** Math.max(0, attempts - 1), settings.maxRetryMs);
  return Math.round(base * (0.8 + 0.4 * random()));
}
