/**
 * Seeds for tests, so runs repeat: the one every test sandbox takes, and a seeded stream for tests
 * that draw their own random choices. mulberry32: a 32-bit state, one multiply-xorshift round per
 * number; plenty for test data and timings.
 */

/**
 * The seed of every test sandbox unless a test picks its own (in-process, or a child's
 * SANDBOX_SEED; the sandbox gives each insurer its own stream from it); `TEST_SEED` replays another.
 */
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
