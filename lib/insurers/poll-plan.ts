/**
 * When to poll an insurer again, from what it said and what it usually does. Framework-free: the
 * clock is the caller's (every time here is a number it passes in) and so is the random source.
 *
 * A hint is the insurer's Retry-After, never to be undercut, and one shorter than the insurer's
 * usual hint is the insurer saying exactly when: it is followed as given. Otherwise the stretch
 * where an answer is improbable is skipped (a jump to the learned lower edge of readiness), and
 * inside the likely window polls come every max(hint, lag budget, min spacing). The first poll
 * comes at the create's hint unless the model holds everything before the edge improbable: a
 * poll there is almost surely "not yet", a call spent on every quote for nothing (most insurers'
 * usual hint is far shorter than their quickest answer). Where the model knows nothing, plain
 * hints (or the fallback schedule) rule, and so they do for a share of quotes, so the model still
 * sees readiness move earlier.
 *
 * Each quote may risk only `edgeQuantile` in all that a jump overshoots its answer: a jump spends
 * the chance it skips. So a quote jumps once to the lower edge and then steps, and later jumps
 * only over stretches the model holds empty (the gap between two modes, say), with what is left;
 * repeated small jumps inside the window would each risk a little and together break the budget.
 */
import type { PollOutcome } from './adapter';
import { DEFAULT_HINT_WINDOW, DEFAULT_READINESS_WINDOW, ReadinessModel } from './readiness';

export interface PollPlanSettings {
  /** Inside the likely readiness window, polls at most this far apart: how long an answer waits, about. */
  lagBudgetMs: number;
  /** Never two polls of one quote closer than this (from the insurer's rate limit). */
  minSpacingMs: number;
  /** With neither a hint nor a model: the wait before poll i (the loop's pollScheduleMs); the last step repeats. */
  fallbackScheduleMs: readonly number[];
  /** Observations before the model is trusted. */
  minSamples: number;
  /** Share of quotes that follow plain hints, so the model learns when readiness moves earlier. */
  explorationShare: number;
  /** The chance of an answer before the lower edge that a jump accepts to skip. */
  edgeQuantile: number;
  /** Recent observations the model keeps (a few hundred: enough to be steady, few enough to follow drift). */
  windowSize: number;
  /** Recent hints the usual hint is the largest of. */
  hintWindow: number;
}

export const DEFAULT_POLL_PLAN: Readonly<PollPlanSettings> = Object.freeze({
  lagBudgetMs: 250,
  minSpacingMs: 0,
  fallbackScheduleMs: Object.freeze([500, 1_000, 2_000, 3_000, 5_000]),
  minSamples: 20,
  explorationShare: 0.05,
  edgeQuantile: 0.01, // the answers a jump may find late: well inside the 1 % a p99 lag allows, with the transient faults
  windowSize: DEFAULT_READINESS_WINDOW,
  hintWindow: DEFAULT_HINT_WINDOW,
});

/** Where one quote stands when the next wait is decided. */
export interface PollSituation {
  /** Since the accepted create; undefined when unknown (a resumed quote without its create time). */
  elapsedMs: number | undefined;
  /** The insurer's latest "poll again in", if it gave one. */
  hintMs: number | undefined;
  /** Index into the fallback schedule: polls tried so far. */
  attempt: number;
  /** No poll of this quote has been answered yet. */
  firstPoll: boolean;
  /** This quote follows plain hints to keep the model learning. */
  exploring: boolean;
  /** What is left of this quote's `edgeQuantile`: the chance it may still risk by jumping. */
  riskLeft: number;
}

export interface PollDecision {
  waitMs: number;
  /** The chance, given not ready now, that the answer is ready before this wait ends: found ready, not seen becoming so. */
  risk: number;
  /** A poll at the upper edge of a window narrower than the lag budget: what it finds tells the model nothing it can use. */
  sweep?: true;
}

/**
 * An insurer is taken to announce its answers once at least this part of the share it would show
 * if it did is announced by a short hint. Polled a usual hint plus the lag budget apart, an
 * announcing insurer's answer falls within a usual hint of a poll in about usual / (usual + budget)
 * of quotes: a short usual hint is seldom seen announcing, and a fixed share would miss it (a 50 ms
 * hint under a 250 ms budget shows 17 %). One that never announces shows none at all.
 */
const ANNOUNCING_PART = 0.5;

function announcesAnswers(model: ReadinessModel, usual: number | undefined, lagBudgetMs: number): usual is number {
  return usual !== undefined && usual > 0 && model.exactShare >= ANNOUNCING_PART * (usual / (usual + lagBudgetMs));
}

/** How far short of the edge a jump lands at an announcing insurer, in usual hints (or lag budgets, if shorter). */
const ANNOUNCED_LANDING_SHARE = 0.25;

/** The model's distribution reaches 1 only up to rounding. */
const NO_RISK = 1e-9;

/** The wait before the next poll. Pure: the same situation, model state and settings give the same decision. */
export function nextPollDelay(s: PollSituation, model: ReadinessModel, settings: PollPlanSettings): PollDecision {
  const schedule = settings.fallbackScheduleMs;
  const atLeast = (ms: number): PollDecision => ({ waitMs: Math.max(ms, settings.minSpacingMs, 0), risk: 0 });
  const plain = atLeast(s.hintMs ?? schedule[Math.min(s.attempt, schedule.length - 1)]);
  if (s.exploring || s.elapsedMs === undefined) return plain;
  const usual = model.usualHintMs;
  if (s.hintMs !== undefined && usual !== undefined && s.hintMs < usual) return atLeast(s.hintMs);
  if (model.samples < settings.minSamples) return plain;
  // an insurer whose hint turns exact near readiness tells any poll within its usual hint of the
  // answer when to come back: polls may then be that much further apart for the same lag
  const announces = announcesAnswers(model, usual, settings.lagBudgetMs);
  // only while it says its usual "not yet": a longer hint (an outlier, a back-off) is not an announcement
  const stride = settings.lagBudgetMs + (announces && s.hintMs === usual ? usual : 0);
  // with no jump to make, the first poll keeps to the create's hint: no stride has begun yet
  const step = s.firstPoll && s.hintMs !== undefined ? plain : atLeast(Math.max(s.hintMs ?? 0, stride));
  const elapsed = s.elapsedMs;
  const before = model.cdf(elapsed);
  // later than any answer in the window: no stretch can be called empty, and the answer may come any
  // moment; the further past the last one seen, the further apart (a stalled insurer is not asked four times a second)
  if (before >= 1 - NO_RISK) return atLeast(Math.max(step.waitMs, (elapsed - (model.quantile(1) ?? elapsed)) / 2));
  // what is left of the window is narrower than the lag budget: one poll at its upper edge finds
  // nearly every answer, none later than the budget (narrow-window insurers, or a quote late in its
  // window). The answers seen becoming ready say so where the insurer announces them and there are
  // enough of them (elsewhere the few exact ones need not be typical), the model otherwise
  const seen = announces ? model.exactSpan(settings.edgeQuantile, settings.minSamples) : undefined;
  const low = seen ? Math.max(seen.low, elapsed) : model.lowerEdge(elapsed, settings.edgeQuantile);
  const top = seen ? seen.high : model.upperEdge(elapsed, settings.edgeQuantile);
  if (low !== undefined && top !== undefined && top > elapsed && top - low <= settings.lagBudgetMs) {
    return { waitMs: Math.max(top - elapsed, s.hintMs ?? 0, settings.minSpacingMs), risk: 0, sweep: true };
  }
  if (s.riskLeft <= 0) return step; // this quote has risked all it may
  const edge = model.lowerEdge(elapsed, s.riskLeft);
  if (edge === undefined) return step; // too few answers this late to call any stretch empty
  // land short of the edge: an answer seen becoming ready is an exact observation, one found
  // ready is only "by then", and a fixed readiness would otherwise always be found ready. An
  // insurer that announces its answers tells a poll anywhere within its usual hint before, so a
  // little short will do: every millisecond nearer the edge is one less to step through after it
  const land = edge - (announces ? Math.min(usual, settings.lagBudgetMs) * ANNOUNCED_LANDING_SHARE : settings.lagBudgetMs);
  if (land - elapsed <= step.waitMs) return step;
  const risk = Math.max(0, (model.cdf(land) - before) / (1 - before));
  return { waitMs: land - elapsed, risk };
}

/** One quote's polling, as the quote loop drives it. */
export interface QuotePolling {
  /** This quote follows plain hints to keep the model learning. */
  readonly exploring: boolean;
  /** The wait before the next poll, decided at `nowMs` (the loop's clock). */
  delay(nowMs: number, hintMs: number | undefined, attempt: number): number;
  /** A poll sent at `sentAtMs` was answered; a final answer teaches the model. */
  answered(sentAtMs: number, answer: PollOutcome): void;
}

/** What the quote loop needs of a planner: one is shared by all quotes of an insurer. */
export interface PollPlan {
  /**
   * A quote starts polling. `createdAtMs`: when the insurer accepted the create (undefined when
   * unknown: elapsed time is then unknown and hints rule). `createHintMs`: the create's hint.
   */
  begin(createdAtMs: number | undefined, createHintMs: number | undefined): QuotePolling;
}

/** The adaptive planner of one insurer: its readiness model, its settings, its random source. */
export class AdaptivePollPlan implements PollPlan {
  readonly settings: Readonly<PollPlanSettings>;
  readonly model: ReadinessModel;

  constructor(settings: Partial<PollPlanSettings> = {}, private readonly random: () => number = Math.random) {
    this.settings = { ...DEFAULT_POLL_PLAN, ...settings };
    const { lagBudgetMs, minSpacingMs, fallbackScheduleMs, explorationShare, edgeQuantile } = this.settings;
    if (fallbackScheduleMs.length === 0) throw new RangeError('fallbackScheduleMs needs at least one step');
    if (lagBudgetMs <= 0 || minSpacingMs < 0) throw new RangeError('lagBudgetMs must be positive and minSpacingMs not negative');
    if (!(this.settings.minSamples >= 1)) throw new RangeError('minSamples must be at least 1');
    if (explorationShare < 0 || explorationShare > 1 || edgeQuantile < 0 || edgeQuantile >= 1) throw new RangeError('shares lie in [0, 1)');
    this.model = new ReadinessModel(this.settings.windowSize, this.settings.hintWindow);
  }

  begin(createdAtMs: number | undefined, createHintMs: number | undefined): QuotePolling {
    return new QuoteTrack(this.model, this.settings, createdAtMs, createHintMs, this.random() < this.settings.explorationShare);
  }
}

/** One quote: what it was last told, to turn its end into an observation. */
class QuoteTrack implements QuotePolling {
  private answers = 0;
  private notReadyAtMs = 0; // elapsed; the create counts as "not ready"
  private exactAtMs: number | undefined; // when the insurer last said exactly when
  private riskLeft: number;
  private swept = false; // the poll on its way is a sweep

  constructor(
    private readonly model: ReadinessModel,
    private readonly settings: Readonly<PollPlanSettings>,
    private readonly createdAtMs: number | undefined,
    createHintMs: number | undefined,
    readonly exploring: boolean,
  ) {
    this.riskLeft = settings.edgeQuantile;
    this.heard(0, createHintMs);
  }

  delay(nowMs: number, hintMs: number | undefined, attempt: number): number {
    const elapsedMs = this.createdAtMs === undefined ? undefined : nowMs - this.createdAtMs;
    const { waitMs, risk, sweep } = nextPollDelay(
      { elapsedMs, hintMs, attempt, firstPoll: this.answers === 0, exploring: this.exploring, riskLeft: this.riskLeft },
      this.model,
      this.settings,
    );
    this.riskLeft -= risk;
    this.swept = sweep === true;
    return waitMs;
  }

  answered(sentAtMs: number, answer: PollOutcome): void {
    this.answers++;
    if (this.createdAtMs === undefined) {
      if (answer.kind === 'processing' && answer.retryAfterMs !== undefined) this.model.noteHint(answer.retryAfterMs);
      return;
    }
    const elapsed = sentAtMs - this.createdAtMs;
    if (answer.kind === 'processing') {
      this.notReadyAtMs = Math.max(this.notReadyAtMs, elapsed);
      this.heard(elapsed, answer.retryAfterMs);
      return;
    }
    // found by a sweep, the answer says only "ready by the window's end", which the model knew: as an
    // interval it would spread over the whole wait and pull the window's edges apart. Explorers and
    // the answers a sweep misses (ready after it) keep teaching the model
    if (this.swept && this.exactAtMs === undefined) return;
    this.model.observe({ afterMs: this.notReadyAtMs, atMs: elapsed, exactMs: this.exactAtMs });
  }

  private heard(elapsedMs: number, hintMs: number | undefined): void {
    this.exactAtMs = undefined;
    if (hintMs === undefined) return;
    this.model.noteHint(hintMs);
    const usual = this.model.usualHintMs;
    if (usual !== undefined && hintMs < usual) this.exactAtMs = elapsedMs + hintMs;
  }
}
