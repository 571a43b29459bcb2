/**
 * Adaptive polling on a virtual clock: the readiness model and the planner's rules on their own,
 * then many quotes in sequence through runQuoteLoop against simulated insurers, one planner
 * shared by all of an insurer's quotes, measured against plain hint-following.
 */
import type { PollOutcome } from '../../lib/insurers/adapter';
import { AdaptivePollPlan, DEFAULT_POLL_PLAN, nextPollDelay, type PollPlanSettings, type PollSituation } from '../../lib/insurers/poll-plan';
import { runQuoteLoop, type QuoteLoopSettings } from '../../lib/insurers/quote-loop';
import { ReadinessModel } from '../../lib/insurers/readiness';
import { seededRandom, type Random } from '../../sandbox/random';

const OFFER: Extract<PollOutcome, { kind: 'offer' }> = {
  kind: 'offer',
  premium: 10_000,
  offerId: 'OFF-1',
  validUntil: '2030-01-01T00:00:00.000Z',
  coefficients: { tb: 7000, kt: 1.8, kbm: 0.83, kvs: 0.97, ko: 1, km: 1.4, ks: 1, kn: 1, kpr: 1 },
  drivers: [],
};

describe('ReadinessModel', () => {
  it('exact observations give their empirical quantiles', () => {
    const m = new ReadinessModel(100);
    for (let i = 1; i <= 100; i++) m.observe({ afterMs: 0, atMs: i * 100 + 50, exactMs: i * 100 });
    expect(m.samples).toBe(100);
    expect(m.quantile(0.02)).toBe(200);
    expect(m.quantile(0.5)).toBe(5_000);
    expect(m.cdf(5_000)).toBeCloseTo(0.5);
    expect(m.cdf(99)).toBe(0);
    expect(m.cdf(10_000)).toBe(1);
  });

  it('spreads an interval evenly over its span', () => {
    const m = new ReadinessModel();
    m.observe({ afterMs: 1_000, atMs: 3_000 });
    m.observe({ afterMs: 2_000, atMs: 2_000 }); // no span: exact
    expect(m.cdf(1_500)).toBeCloseTo(0.125);
    expect(m.cdf(2_000)).toBeCloseTo(0.75);
    expect(m.cdf(2_500)).toBeCloseTo(0.875);
    expect(m.quantile(0.25)).toBeCloseTo(2_000);
    expect(m.quantile(0.875)).toBeCloseTo(2_500);
  });

  it('keeps only the recent window, so it follows a move', () => {
    const m = new ReadinessModel(50);
    for (let i = 0; i < 50; i++) m.observe({ afterMs: 0, atMs: 10_000, exactMs: 10_000 });
    for (let i = 0; i < 49; i++) m.observe({ afterMs: 0, atMs: 30_000, exactMs: 30_000 });
    expect(m.quantile(0.01)).toBe(10_000);
    m.observe({ afterMs: 0, atMs: 30_000, exactMs: 30_000 });
    expect(m.samples).toBe(50);
    expect(m.quantile(0.01)).toBe(30_000);
    expect(m.cdf(29_999)).toBe(0);
  });

  it('the lower edge is conditional on not being ready yet, and unknown past the observed tail', () => {
    const m = new ReadinessModel(1_000);
    for (let i = 0; i < 1_000; i++) m.observe({ afterMs: 0, atMs: 10_000 + i * 10, exactMs: 10_000 + i * 10 }); // 10–20 s
    expect(m.lowerEdge(2_000, 0.02)).toBe(10_190); // the 20th of 1 000
    expect(m.lowerEdge(15_000, 0.02)).toBe(15_100); // 2 % of the 499 still to come: the 10th after 15 s
    expect(m.lowerEdge(19_980, 0.02)).toBeUndefined(); // two observations beyond: too few to say
  });

  it('the span of the answers seen becoming ready counts exact observations alone, and follows new ones', () => {
    const m = new ReadinessModel(100);
    for (let i = 0; i < 30; i++) m.observe({ afterMs: 0, atMs: 5_000 }); // found ready by 5 s: an interval
    expect(m.exactSpan(0.01, 20)).toBeUndefined();
    for (let i = 0; i <= 20; i++) m.observe({ afterMs: 0, atMs: 1_005 + i * 10, exactMs: 1_000 + i * 10 }); // 1.0–1.2 s
    expect(m.exactSpan(0.01, 20)).toEqual({ low: 1_000, high: 1_200 });
    m.observe({ afterMs: 0, atMs: 1_900, exactMs: 1_900 });
    expect(m.exactSpan(0, 20)).toEqual({ low: 1_000, high: 1_900 });
  });

  it('learns the usual hint as the largest recent one, and forgets an old one', () => {
    const m = new ReadinessModel(10, 3);
    expect(m.usualHintMs).toBeUndefined();
    m.noteHint(3_000);
    m.noteHint(1_200);
    m.noteHint(3_000);
    expect(m.usualHintMs).toBe(3_000);
    m.noteHint(800);
    expect(m.usualHintMs).toBe(3_000);
    m.noteHint(900);
    expect(m.usualHintMs).toBe(3_000);
    m.noteHint(700); // the last 3 000 leaves the window
    expect(m.usualHintMs).toBe(900);
  });
});

describe('nextPollDelay: the rules', () => {
  const settings: PollPlanSettings = { ...DEFAULT_POLL_PLAN, minSamples: 10, edgeQuantile: 0.02 };
  /** Readiness spread evenly over [fromMs, toMs], learned from 100 tight intervals; a 3 s usual hint. */
  const trained = (fromMs = 15_000, toMs = 40_000) => {
    const m = new ReadinessModel();
    m.noteHint(3_000);
    const width = (toMs - fromMs) / 100;
    for (let i = 0; i < 100; i++) m.observe({ afterMs: fromMs + i * width, atMs: fromMs + (i + 1) * width });
    return m;
  };
  const at = (s: Partial<PollSituation>): PollSituation => ({
    elapsedMs: 3_000,
    hintMs: 3_000,
    attempt: 1,
    firstPoll: false,
    exploring: false,
    riskLeft: settings.edgeQuantile,
    ...s,
  });
  const wait = (s: Partial<PollSituation>, m = trained(), more: Partial<PollPlanSettings> = {}) => nextPollDelay(at(s), m, { ...settings, ...more }).waitMs;

  it('the first poll skips the improbable stretch too once the model is trusted, never coming before the hint', () => {
    const first = { elapsedMs: 0, attempt: 0, firstPoll: true };
    expect(wait(first)).toBeCloseTo(15_500 - 250, 6);
    expect(wait(first, trained(1_000, 5_000))).toBe(3_000); // the edge (1.08 s) lies inside the hint
  });

  it('otherwise the first poll comes at the hint', () => {
    const first = { elapsedMs: 0, attempt: 0, firstPoll: true };
    expect(wait(first, new ReadinessModel())).toBe(3_000); // nothing learned
    expect(wait({ ...first, exploring: true })).toBe(3_000);
    expect(wait({ ...first, elapsedMs: 30_000 })).toBe(3_000); // inside the window: no stride has begun
    expect(wait({ ...first, elapsedMs: 30_000, hintMs: 40 })).toBe(40);
  });

  it('skips the stretch where an answer is improbable, landing a lag budget short of the lower edge', () => {
    // the 2 % edge of 15–40 s is 15.5 s
    expect(wait({})).toBeCloseTo(15_500 - 250 - 3_000, 6);
    expect(wait({ hintMs: undefined })).toBeCloseTo(15_500 - 250 - 3_000, 6);
  });

  it('inside the window polls every max(hint, lag budget, min spacing)', () => {
    expect(wait({ elapsedMs: 30_000 })).toBe(3_000);
    expect(wait({ elapsedMs: 30_000, hintMs: undefined })).toBe(250);
    expect(wait({ elapsedMs: 30_000, hintMs: undefined }, trained(), { minSpacingMs: 700 })).toBe(700);
    expect(wait({ elapsedMs: 30_000 }, trained(), { minSpacingMs: 3_500 })).toBe(3_500);
  });

  it('follows a hint shorter than the usual one as given, but never under the min spacing', () => {
    expect(wait({ hintMs: 40 })).toBe(40);
    expect(wait({ hintMs: 40 }, trained(), { minSpacingMs: 100 })).toBe(100);
  });

  it('follows plain hints or the schedule when exploring, when elapsed is unknown, before minSamples', () => {
    expect(wait({ exploring: true })).toBe(3_000);
    expect(wait({ exploring: true, hintMs: undefined, attempt: 2 })).toBe(2_000);
    expect(wait({ elapsedMs: undefined })).toBe(3_000);
    expect(wait({ hintMs: undefined, attempt: 9 }, new ReadinessModel())).toBe(5_000);
    // past every answer seen: no schedule's 5 s lag, but further apart the further past (half the lateness)
    expect(wait({ elapsedMs: 40_200, hintMs: undefined, attempt: 9 })).toBe(250);
    expect(wait({ elapsedMs: 41_000, hintMs: undefined, attempt: 9 })).toBe(500);
    expect(wait({ elapsedMs: 50_000, hintMs: undefined, attempt: 9 })).toBe(5_000);
    expect(wait({ elapsedMs: 39_950, hintMs: undefined, attempt: 9 })).toBe(250); // few answers this late: steps, no jump
  });

  it("a quote's jumps risk no more than edgeQuantile in all: after the first, the window is stepped through", () => {
    const wide = trained(10_000, 110_000); // 2 % of it is 2 s: small jumps inside would pay
    const first = nextPollDelay(at({ elapsedMs: 1_000, hintMs: undefined }), wide, settings);
    expect(first.waitMs).toBeCloseTo(12_000 - 250 - 1_000, 6);
    expect(first.risk).toBeCloseTo(0.0175, 6); // the answers ready before it lands
    const fresh = nextPollDelay(at({ elapsedMs: 50_000, hintMs: undefined }), wide, settings);
    expect(fresh.waitMs).toBeCloseTo(950, 6);
    const spent = nextPollDelay(at({ elapsedMs: 50_000, hintMs: undefined, riskLeft: settings.edgeQuantile - first.risk }), wide, settings);
    expect(spent).toEqual({ waitMs: 250, risk: 0 });
  });

  it('jumps a stretch the model holds empty at no cost, while any risk is left', () => {
    const m = new ReadinessModel();
    for (let i = 0; i < 50; i++) m.observe({ afterMs: 2_000 + i * 40, atMs: 2_040 + i * 40 }); // 2–4 s
    for (let i = 0; i < 50; i++) m.observe({ afterMs: 30_000 + i * 200, atMs: 30_200 + i * 200 }); // 30–40 s
    const gap = nextPollDelay(at({ elapsedMs: 4_500, hintMs: undefined, riskLeft: 0.001 }), m, settings);
    expect(gap.waitMs).toBeCloseTo(30_000 + 0.001 * 10_000 - 250 - 4_500, 3);
    expect(gap.risk).toBe(0);
    expect(nextPollDelay(at({ elapsedMs: 4_500, hintMs: undefined, riskLeft: 0 }), m, settings)).toEqual({ waitMs: 250, risk: 0 });
  });

  it('a window narrower than the lag budget is swept by one poll at its upper edge, never before the hint', () => {
    const m = new ReadinessModel();
    m.noteHint(50);
    for (let i = 0; i < 100; i++) m.observe({ afterMs: 0, atMs: 1_000 + i * 2, exactMs: 1_000 + i * 2 }); // 1.0–1.2 s
    const first = nextPollDelay(at({ elapsedMs: 0, hintMs: 50, firstPoll: true }), m, settings);
    expect(first).toEqual({ waitMs: expect.any(Number), risk: 0, sweep: true });
    expect(first.waitMs).toBeGreaterThan(1_190);
    expect(first.waitMs).toBeLessThanOrEqual(1_198);
    expect(nextPollDelay(at({ elapsedMs: 0, hintMs: 1_500, firstPoll: true }), m, settings).waitMs).toBe(1_500);
    // wider than the budget: no sweep, the jump lands short of the edge as before
    expect(nextPollDelay(at({ elapsedMs: 0, hintMs: 50, firstPoll: true }), m, { ...settings, lagBudgetMs: 100 }).sweep).toBeUndefined();
  });

  it('explores a deterministic share of quotes, drawn from the injected source', () => {
    const draws = (p: AdaptivePollPlan) => Array.from({ length: 400 }, () => p.begin(0, 1_000).exploring);
    const first = draws(new AdaptivePollPlan({ explorationShare: 0.25 }, seededRandom(7)));
    expect(draws(new AdaptivePollPlan({ explorationShare: 0.25 }, seededRandom(7)))).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(70);
    expect(first.filter(Boolean).length).toBeLessThan(130);
    expect(draws(new AdaptivePollPlan({ explorationShare: 0 }, seededRandom(7))).some(Boolean)).toBe(false);
  });
});

/* ---- many quotes through runQuoteLoop against a simulated insurer ---- */

interface SimInsurer {
  /** Readiness of quote i, ms after its create was accepted. */
  readyMs(quote: number, random: Random): number;
  /** The usual "poll again in"; undefined: the insurer gives no hints. */
  hintMs?: number;
  /** Like the sandbox: the hint is min(time to ready, usual); otherwise always the usual one. */
  tellsExactly: boolean;
  declineShare?: number;
}

interface QuoteRecord {
  readyMs: number;
  polls: number;
  lagMs?: number; // ready → answer seen; undefined when no answer came
  outcome: string;
}

const CREATE_LATENCY_MS = 100;
const POLL_LATENCY_MS = 20;
const DEADLINE_MS = 60_000;
const LOOP: QuoteLoopSettings = { pollScheduleMs: [...DEFAULT_POLL_PLAN.fallbackScheduleMs], throttledRetries: 3, maxRetryAfterMs: 10_000, maxPollFailures: 3 };

/** Runs `count` quotes one after another; every wait, poll and hint is checked against the rules as it happens. */
async function simulate(insurer: SimInsurer, count: number, plan?: AdaptivePollPlan, seed = 1) {
  const random = seededRandom(seed);
  const minSpacing = plan?.settings.minSpacingMs ?? 0;
  const violations: string[] = [];
  const quotes: QuoteRecord[] = [];
  let now = 1_800_000_000_000;
  for (let i = 0; i < count; i++) {
    now += 1_000;
    const deadline = now + DEADLINE_MS;
    const readyMs = Math.round(insurer.readyMs(i, random));
    const declines = random() < (insurer.declineShare ?? 0);
    let createdAt = 0;
    let answeredAt = 0;
    let lastHint = 0;
    let lastPollAt = -Infinity;
    let polls = 0;
    let lagMs: number | undefined;
    const hint = (at: number) => {
      if (insurer.hintMs === undefined) return undefined;
      return insurer.tellsExactly ? Math.max(0, Math.min(createdAt + readyMs - at, insurer.hintMs)) : insurer.hintMs;
    };
    const outcome = await runQuoteLoop(
      {
        deadlineMs: deadline,
        pollPlan: plan,
        now: () => now,
        sleep: async (ms) => void (now += ms),
        circuitOpen: () => false,
        submit: async () => {
          now += CREATE_LATENCY_MS;
          createdAt = now;
          answeredAt = now;
          const retryAfterMs = hint(now);
          lastHint = retryAfterMs ?? 0;
          return { kind: 'accepted', externalId: `q${i}`, retryAfterMs };
        },
        poll: async () => {
          const at = now;
          polls++;
          if (at - answeredAt < lastHint) violations.push(`quote ${i}: polled ${at - answeredAt} ms after a ${lastHint} ms hint`);
          if (at - lastPollAt < minSpacing) violations.push(`quote ${i}: polls ${at - lastPollAt} ms apart`);
          if (at >= deadline) violations.push(`quote ${i}: polled after the deadline`);
          lastPollAt = at;
          now += POLL_LATENCY_MS;
          answeredAt = now;
          if (at >= createdAt + readyMs) {
            lagMs = now - (createdAt + readyMs);
            lastHint = 0;
            return declines ? { kind: 'declined', reason: 'нет' } : OFFER;
          }
          const retryAfterMs = hint(at);
          lastHint = retryAfterMs ?? 0;
          return { kind: 'processing', retryAfterMs };
        },
      },
      LOOP,
    );
    quotes.push({ readyMs, polls, lagMs, outcome: outcome.status });
  }
  return { quotes, violations };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}
const pollsPerQuote = (qs: readonly QuoteRecord[]) => mean(qs.map((q) => q.polls));
const lagP99 = (qs: readonly QuoteRecord[]) => percentile(qs.map((q) => q.lagMs ?? Infinity), 0.99);
const uniform = (min: number, max: number) => (_i: number, random: Random) => min + random() * (max - min);

const WARM_UP = 50;

describe('adaptive polling against simulated insurers', () => {
  const budget = DEFAULT_POLL_PLAN.lagBudgetMs;

  it('(a) fixed readiness: two polls a quote instead of hint-following\'s seven, no lag', async () => {
    const insurer: SimInsurer = { readyMs: () => 20_000, hintMs: 3_000, tellsExactly: true };
    const plain = await simulate(insurer, 300);
    const adaptive = await simulate(insurer, 300, new AdaptivePollPlan({}, seededRandom(11)));
    expect(adaptive.violations).toEqual([]);
    const steady = adaptive.quotes.slice(WARM_UP);
    expect(pollsPerQuote(plain.quotes)).toBeGreaterThan(6.5);
    // a budget before readiness (told exactly when), at readiness; explorers poll as before
    expect(pollsPerQuote(steady)).toBeLessThan(2.5);
    expect(steady.every((q) => q.outcome === 'offer')).toBe(true);
    expect(lagP99(steady)).toBeLessThanOrEqual(2 * POLL_LATENCY_MS); // the hint counts from the insurer's answer, the wait from ours
  });

  it('(b) readiness spread 15–40 s, 3 s hints that tell exactly when near: polls a hint plus the budget apart, lag within the budget', async () => {
    const insurer: SimInsurer = { readyMs: uniform(15_000, 40_000), hintMs: 3_000, tellsExactly: true, declineShare: 0.1 };
    const plain = await simulate(insurer, 1_000);
    const adaptive = await simulate(insurer, 1_000, new AdaptivePollPlan({}, seededRandom(12)));
    expect(adaptive.violations).toEqual([]);
    const steady = adaptive.quotes.slice(WARM_UP);
    expect(pollsPerQuote(steady)).toBeLessThan(0.7 * pollsPerQuote(plain.quotes.slice(WARM_UP)));
    // any poll within a hint of the answer is told when: only the budget is left to wait
    expect(lagP99(steady)).toBeLessThanOrEqual(budget + 2 * POLL_LATENCY_MS);
    // and about a hint in every hint plus budget of the window is answered without waiting
    expect(percentile(steady.map((q) => q.lagMs ?? Infinity), 0.5)).toBeLessThanOrEqual(budget / 2);
    expect(steady.filter((q) => q.outcome === 'declined').length).toBeGreaterThan(50); // declines on poll were answers too
  });

  it('(b) readiness spread, hints that only say "not yet": half the polls, lag within the budget plus one hint', async () => {
    const insurer: SimInsurer = { readyMs: uniform(15_000, 40_000), hintMs: 1_000, tellsExactly: false };
    const plain = await simulate(insurer, 600);
    const adaptive = await simulate(insurer, 600, new AdaptivePollPlan({}, seededRandom(13)));
    expect(adaptive.violations).toEqual([]);
    const steady = adaptive.quotes.slice(WARM_UP);
    expect(pollsPerQuote(steady)).toBeLessThan(0.6 * pollsPerQuote(plain.quotes.slice(WARM_UP)));
    expect(lagP99(steady)).toBeLessThanOrEqual(budget + 1_000 + 2 * POLL_LATENCY_MS);
  });

  it('(b) readiness spread, no hints at all: the budget bounds the lag the fallback schedule would leave, at a price in polls', async () => {
    // explorers would follow the fallback schedule and its lag: this one measures the planner's own
    const insurer: SimInsurer = { readyMs: uniform(15_000, 40_000), tellsExactly: false };
    const plain = await simulate(insurer, 400);
    const adaptive = await simulate(insurer, 400, new AdaptivePollPlan({ minSpacingMs: 200, explorationShare: 0 }, seededRandom(14)));
    expect(adaptive.violations).toEqual([]);
    const steady = adaptive.quotes.slice(WARM_UP);
    expect(lagP99(plain.quotes)).toBeGreaterThan(4_000);
    // a jump may overshoot: at most edgeQuantile of quotes, by the model, and never by much
    const over = steady.filter((q) => (q.lagMs ?? Infinity) > budget + 3 * POLL_LATENCY_MS);
    expect(over.length).toBeLessThanOrEqual(Math.ceil(DEFAULT_POLL_PLAN.edgeQuantile * steady.length));
    expect(Math.max(...over.map((q) => q.lagMs ?? Infinity))).toBeLessThan(1_500);
    // the stretch before the window is skipped: fewer polls than one every budget from the create
    for (const q of steady) expect(q.polls).toBeLessThan(q.readyMs / (budget + POLL_LATENCY_MS));
    expect(pollsPerQuote(steady)).toBeGreaterThan(3 * pollsPerQuote(plain.quotes));
  });

  it('(d) a window narrower than the lag budget: about one poll a quote, lag within the budget, and it follows the window when it moves', async () => {
    const shift = 600;
    const insurer: SimInsurer = { readyMs: (i, r) => (i < shift ? uniform(2_000, 2_200) : uniform(2_600, 2_800))(i, r), hintMs: 1_000, tellsExactly: true };
    const adaptive = await simulate(insurer, 1_500, new AdaptivePollPlan({}, seededRandom(21)));
    expect(adaptive.violations).toEqual([]);
    // the model trusts the window narrow once it has seen enough answers become ready (~50 quotes)
    const before = adaptive.quotes.slice(100, shift);
    const after = adaptive.quotes.slice(shift + 200);
    expect(pollsPerQuote(before)).toBeLessThan(1.3);
    expect(lagP99(before)).toBeLessThanOrEqual(budget + 2 * POLL_LATENCY_MS);
    // the sweeps that come too early meet the moved answers, told exactly when, and the model learns
    // them; until the old ones leave its window (200 answers) the span looks wide and it steps
    expect(lagP99(adaptive.quotes.slice(shift))).toBeLessThanOrEqual(budget + 2 * POLL_LATENCY_MS);
    expect(pollsPerQuote(after)).toBeLessThan(1.3);
  });

  it('(c) readiness drifting later (15–40 s, then 30–55 s): the lag never suffers, the polls recover within the window', async () => {
    const shift = 400;
    const insurer: SimInsurer = { readyMs: (i, r) => (i < shift ? uniform(15_000, 40_000) : uniform(30_000, 55_000))(i, r), hintMs: 3_000, tellsExactly: true };
    const settled: SimInsurer = { ...insurer, readyMs: uniform(30_000, 55_000) };
    const adaptive = await simulate(insurer, 1_000, new AdaptivePollPlan({}, seededRandom(15)));
    const reference = await simulate(settled, 1_000, new AdaptivePollPlan({}, seededRandom(15)));
    expect(adaptive.violations).toEqual([]);
    const after = adaptive.quotes.slice(shift);
    expect(lagP99(adaptive.quotes.slice(WARM_UP))).toBeLessThanOrEqual(budget + 3_000);
    expect(after.every((q) => q.outcome === 'offer')).toBe(true);
    const recovered = adaptive.quotes.slice(shift + 250);
    expect(pollsPerQuote(recovered)).toBeLessThan(pollsPerQuote(reference.quotes.slice(shift + 250)) + 0.5);
    expect(pollsPerQuote(after.slice(0, 100))).toBeGreaterThan(pollsPerQuote(recovered) + 2); // it did have to relearn
  });

  it('(c) readiness drifting earlier (30–55 s, then 10–35 s): the lag is back within the budget in a few dozen quotes', async () => {
    const shift = 400;
    const insurer: SimInsurer = { readyMs: (i, r) => (i < shift ? uniform(30_000, 55_000) : uniform(10_000, 35_000))(i, r), hintMs: 3_000, tellsExactly: true };
    const plain = await simulate(insurer, 1_000);
    const adaptive = await simulate(insurer, 1_000, new AdaptivePollPlan({}, seededRandom(16)));
    expect(adaptive.violations).toEqual([]);
    const late = (qs: readonly QuoteRecord[]) => qs.filter((q) => (q.lagMs ?? Infinity) > budget + 3_000).length;
    expect(late(adaptive.quotes.slice(shift, shift + 40))).toBeGreaterThan(0); // the shift did hurt at first
    expect(late(adaptive.quotes.slice(shift + 40))).toBeLessThanOrEqual(6);
    expect(lagP99(adaptive.quotes.slice(shift + 40))).toBeLessThanOrEqual(budget + 3_000);
    expect(pollsPerQuote(adaptive.quotes.slice(shift + 250))).toBeLessThan(0.88 * pollsPerQuote(plain.quotes.slice(shift + 250)));
  });

  it.each([
    ['later', 15_000, 35_000],
    ['earlier', 35_000, 15_000],
  ])('(c) readiness drifting gradually %s: lag within the budget, fewer polls than hint-following', async (_way, from, to) => {
    const count = 1_000;
    const insurer: SimInsurer = {
      readyMs: (i, r) => uniform(0, 20_000)(i, r) + from + ((to - from) * i) / count,
      hintMs: 3_000,
      tellsExactly: true,
    };
    const plain = await simulate(insurer, count);
    const adaptive = await simulate(insurer, count, new AdaptivePollPlan({}, seededRandom(17)));
    expect(adaptive.violations).toEqual([]);
    const steady = adaptive.quotes.slice(WARM_UP);
    expect(lagP99(steady)).toBeLessThanOrEqual(budget + 3_000);
    expect(pollsPerQuote(steady)).toBeLessThan(0.8 * pollsPerQuote(plain.quotes.slice(WARM_UP)));
  });

  it('an exploring quote polls exactly as plain hint-following does, and still teaches the model', async () => {
    const insurer: SimInsurer = { readyMs: uniform(15_000, 40_000), hintMs: 3_000, tellsExactly: true };
    const plain = await simulate(insurer, 100);
    const plan = new AdaptivePollPlan({ explorationShare: 1 }, seededRandom(19));
    const explored = await simulate(insurer, 100, plan);
    expect(explored.quotes.map((q) => q.polls)).toEqual(plain.quotes.map((q) => q.polls));
    expect(plan.model.samples).toBe(100);
    expect(plan.model.quantile(0.02)).toBeGreaterThan(14_900);
    expect(plan.model.quantile(0.02)).toBeLessThan(16_500);
  });

  it('never polls after the deadline when readiness comes after it', async () => {
    const insurer: SimInsurer = { readyMs: (i) => (i % 10 === 9 ? 70_000 : 50_000), hintMs: 3_000, tellsExactly: true };
    const adaptive = await simulate(insurer, 200, new AdaptivePollPlan({ minSpacingMs: 500 }, seededRandom(18)));
    expect(adaptive.violations).toEqual([]);
    expect(adaptive.quotes.filter((q) => q.outcome === 'deadline')).toHaveLength(20);
  });
});
