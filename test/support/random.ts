/**
 * A seeded pseudo-random source for tests, so a sandbox's delays and faults repeat from run to run.
 * mulberry32: a 32-bit state, one multiply-xorshift round per number; plenty for test timings.
 */

/** The seed of every test sandbox unless a test picks its own; `TEST_SEED` replays another. */
export const TEST_SEED = Number(process.env.TEST_SEED ?? 20261122) >>> 0;

/** Uniform numbers in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number = TEST_SEED): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
