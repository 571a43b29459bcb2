/**
 * The sandbox's random source (delays, flaky failures, transient errors). With a seed each insurer
 * draws from its own stream, the seed mixed with its code: the same seed replays the same
 * sequence at every insurer, and calls to one insurer do not shift another's sequence. Within one
 * insurer the values go to calls in the order they arrive, so concurrent calls can swap values.
 */
export type Random = () => number;

/**
 * mulberry32: 32 bits of state, a Weyl step and one multiply-xorshift round per number. Far from
 * cryptographic and short-periodic by simulation standards (2^32), plenty for delays and faults.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** One insurer's stream: seeded as above, or Math.random when the run is not to repeat. */
export function insurerRandom(code: string, seed: number | undefined): Random {
  return seed === undefined ? Math.random : seededRandom((seed ^ fnv1a(code)) >>> 0);
}

/** FNV-1a over the code's UTF-16 units: a cheap, stable 32-bit mix, not a digest. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
