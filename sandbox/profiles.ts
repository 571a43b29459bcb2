/**
 * How each simulated insurer behaves, keyed by catalog code. The numbers imitate what OSAGO.md
 * says of real APIs: base rates mostly near the top of the corridor, answers from under a second
 * to ~40 s, a few percent of transient errors, and each company's own underwriting refusals.
 */

/** Declines are decided by a hash of insurer + vehicle + licences, so a repeat gets the same answer. */
export type DeclineRule = { at: 'create' | 'poll' } & (
  | { kind: 'young-drivers'; underAge: number; share: number }
  | { kind: 'powerful'; overHp: number; share: number }
  | { kind: 'regions'; regions: readonly string[] }
  | { kind: 'random'; share: number }
);

export type MsRange = readonly [min: number, max: number];

export interface InsurerProfile {
  /** Where the insurer's ТБ sits in the corridor in force on the policy start: 0 = min, 1 = max. */
  baseRateShare: number;
  /** From create to a final answer. */
  readyMs: MsRange;
  createLatencyMs: MsRange;
  pollLatencyMs: MsRange;
  /** The "poll again in" hint while processing. */
  pollHintMs: number;
  /** Share of calls answered 503 in normal mode (when transient errors are on). */
  transientErrorRate: number;
  /** Normal-mode limit; the "ratelimited" mode replaces it with a low one. */
  rateLimitPerSecond: number;
  declines: readonly DeclineRule[];
}

const NORTH_CAUCASUS = ['05', '06', '07', '09', '15', '20', '95'];
const FAR_EAST = ['25', '125', '27', '41', '49', '65', '79', '87'];

const BASE: Omit<InsurerProfile, 'baseRateShare' | 'readyMs' | 'createLatencyMs' | 'declines'> = {
  pollLatencyMs: [10, 50],
  pollHintMs: 1000,
  transientErrorRate: 0.02,
  rateLimitPerSecond: 500,
};

export const PROFILES: Readonly<Record<string, InsurerProfile>> = {
  'sever-shield': {
    ...BASE,
    baseRateShare: 0.93,
    readyMs: [2000, 6000],
    createLatencyMs: [60, 180],
    declines: [{ kind: 'random', share: 0.05, at: 'poll' }],
  },
  'yantar-polis': {
    ...BASE,
    baseRateShare: 0.88,
    readyMs: [1500, 4000],
    createLatencyMs: [40, 120],
    declines: [{ kind: 'young-drivers', underAge: 22, share: 0.5, at: 'poll' }],
  },
  'tri-kita': {
    ...BASE,
    baseRateShare: 0.97,
    readyMs: [8000, 20000],
    createLatencyMs: [120, 350],
    pollHintMs: 2000,
    declines: [{ kind: 'powerful', overHp: 200, share: 0.4, at: 'poll' }],
  },
  // the discounter: cheapest, fastest, and refuses up front rather than after a wait
  lastochka: {
    ...BASE,
    baseRateShare: 0.62,
    readyMs: [300, 900],
    createLatencyMs: [20, 60],
    pollHintMs: 250,
    declines: [{ kind: 'random', share: 0.05, at: 'create' }],
  },
  'polar-mayak': {
    ...BASE,
    baseRateShare: 0.84,
    readyMs: [3000, 12000],
    createLatencyMs: [80, 200],
    declines: [{ kind: 'regions', regions: NORTH_CAUCASUS, at: 'create' }],
  },
  'dozor-avto': {
    ...BASE,
    baseRateShare: 1,
    readyMs: [5000, 15000],
    createLatencyMs: [100, 250],
    declines: [],
  },
  'sokol-krylo': {
    ...BASE,
    baseRateShare: 0.9,
    readyMs: [15000, 40000],
    createLatencyMs: [150, 400],
    pollHintMs: 3000,
    transientErrorRate: 0.03,
    rateLimitPerSecond: 200,
    declines: [{ kind: 'random', share: 0.05, at: 'poll' }],
  },
  'tikhiy-bereg': {
    ...BASE,
    baseRateShare: 0.95,
    readyMs: [2000, 8000],
    createLatencyMs: [50, 150],
    declines: [{ kind: 'powerful', overHp: 200, share: 0.4, at: 'create' }],
  },
  'uralsky-utyos': {
    ...BASE,
    baseRateShare: 0.98,
    readyMs: [10000, 30000],
    createLatencyMs: [200, 450],
    pollHintMs: 2500,
    rateLimitPerSecond: 150,
    declines: [
      { kind: 'regions', regions: FAR_EAST, at: 'create' },
      { kind: 'young-drivers', underAge: 22, share: 0.5, at: 'poll' },
    ],
  },
  'baikal-volna': {
    ...BASE,
    baseRateShare: 0.75,
    readyMs: [1000, 3000],
    createLatencyMs: [30, 100],
    pollHintMs: 500,
    declines: [{ kind: 'random', share: 0.05, at: 'poll' }],
  },
};

/** For insurers a caller adds through SandboxOptions.insurers: an unremarkable, reliable one. */
export const DEFAULT_PROFILE: InsurerProfile = {
  ...BASE,
  baseRateShare: 0.9,
  readyMs: [2000, 8000],
  createLatencyMs: [50, 150],
  declines: [],
};

export function profileFor(code: string): InsurerProfile {
  return Object.hasOwn(PROFILES, code) ? PROFILES[code] : DEFAULT_PROFILE;
}
