/**
 * One insurer, one application: submit, then poll until a final answer or the deadline.
 * Framework-free: the guarded calls, the clock and sleeping are injected, so the rules
 * (honour Retry-After, never poll after the deadline, a decline is final) are unit-testable.
 *
 * The rules live in QuoteMachine, a state machine that says what to do next (wait, ask admission,
 * call, record the create) and is told what came of it. It holds no promise and no timer: a quote
 * between polls is this small object in a QuoteScheduler's queue, not a chain of suspended async
 * frames, which is what lets a node hold tens of thousands of quotes in flight. runQuoteLoop drives
 * one quote through a scheduler of its own, on the caller's sleep.
 */
import type { CreateOutcome, PollOutcome } from './adapter';
import type { PollPlan, QuotePolling } from './poll-plan';
import { QuoteScheduler } from './quote-scheduler';
import type { Coefficients, DriverRating, TerritoryFactor } from '../tariff/types';
import { ErrorType } from '../errors';

export type LoopOutcome =
  | {
      status: 'offer';
      premium: number;
      offerId: string;
      validUntil: string;
      coefficients: Coefficients;
      drivers: DriverRating[];
      territory?: TerritoryFactor;
    }
  | { status: 'declined'; reason: string }
  | { status: 'failed'; reason: string; cause?: string } // cause: the technical message, for the logs
  | { status: 'unavailable'; reason: string }
  | { status: 'deadline' } // nothing more can be done in time; the deadline sweep records `timeout`
  | { status: 'interrupted' }; // this node is stopping: the work is left for a restart or another node

/** What another worker already did for this quote: the insurer's id, so polling resumes without a second create. */
export interface ResumePoint {
  externalId: string;
  nextPollAtMs?: number;
  /** When the insurer accepted the create: a planner needs it to know how far along the quote is. */
  createdAtMs?: number;
}

export interface QuoteLoopSettings {
  pollScheduleMs: number[];
  throttledRetries: number;
  maxRetryAfterMs: number;
  maxPollFailures: number; // consecutive failed polls before giving up
}

/** What the machine asks of whoever drives it; the answer goes to the method named. */
export type QuoteAction =
  | { kind: 'wait'; ms: number } // → waited()
  | { kind: 'admit' } // ask admission → admitted(waitMs)
  | { kind: 'submit' } // sending() as it goes out, then submitted(outcome) or failed(err)
  | { kind: 'poll'; externalId: string } // sending() as it goes out, then polled(outcome) or failed(err)
  | { kind: 'record-create'; outcome: CreateOutcome; nextPollAtMs: number | undefined; createdAtMs: number } // → recorded()
  | { kind: 'done'; outcome: LoopOutcome };

/** What the quotes of one insurer share: no closure is made per quote. */
export interface QuoteEnv {
  settings: QuoteLoopSettings;
  now(): number;
  circuitOpen(): boolean;
  interrupted?(): boolean;
  /** Whether calls wait for admission (`admit` actions) at all. */
  admits: boolean;
  /** Decides the wait before each poll and learns from each answer; without it hints and the schedule rule. */
  pollPlan?: PollPlan;
}

const UNAVAILABLE_TYPES = new Set(['SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_FOUND']);
const UNAVAILABLE_REASON = 'страховая временно недоступна (цепь разомкнута)';

function errorType(err: unknown): string | undefined {
  return (err as { type?: string } | null)?.type;
}

/** A reason a customer can read; the technical cause stays in the logs. */
function describe(err: unknown): string {
  const status = (err as { data?: { status?: number } } | null)?.data?.status;
  const code = status ? ` (HTTP ${status})` : '';
  switch (errorType(err)) {
    case ErrorType.insurerThrottled:
      return `страховая перегружена и просит повторить позже${code}`;
    case ErrorType.insurerCallTimeout:
      return 'страховая не ответила вовремя';
    case ErrorType.insurerTransient:
      return `сбой на стороне страховой${code}`;
    case ErrorType.insurerRejected:
      return `страховая отклонила запрос${code}`;
    case ErrorType.insurerProtocol:
      return 'страховая прислала ответ в неожиданном формате';
    default:
      return 'не удалось получить ответ страховой';
  }
}

function offerOf(answer: Extract<PollOutcome, { kind: 'offer' }>): LoopOutcome {
  return {
    status: 'offer',
    premium: answer.premium,
    offerId: answer.offerId,
    validUntil: answer.validUntil,
    coefficients: answer.coefficients,
    drivers: answer.drivers,
    ...(answer.territory && { territory: answer.territory }),
  };
}

/** What a wait is for: where the machine goes on once it is over (or refused by the deadline). */
type WaitPurpose = 'before-poll' | 'admission' | 'throttled';

/**
 * One quote's rules. A call is a "step": it waits for admission, and a throttled answer (429/503
 * with Retry-After) is waited out and tried again a few times; a 429 as long as the deadline allows.
 */
export class QuoteMachine {
  private phase: 'create' | 'poll' = 'create';
  private waitingFor: WaitPurpose = 'before-poll';
  private throttled = 0; // throttled answers in the current step
  private attempt = 0; // polls tried so far
  private failures = 0; // consecutive failed polls
  private externalId = '';
  private hint: number | undefined;
  private plan: QuotePolling | undefined;
  private sentAtMs = 0;
  private createdAtMs = 0;
  private accepted: CreateOutcome | undefined;

  constructor(
    private readonly env: QuoteEnv,
    readonly deadlineMs: number,
    private readonly resume?: ResumePoint,
  ) {}

  start(): QuoteAction {
    const { resume, env } = this;
    if (resume) {
      this.externalId = resume.externalId;
      this.hint = Math.max(0, (resume.nextPollAtMs ?? 0) - env.now());
      // the wait to the recorded poll time is ours, not the insurer's: it is not a hint to learn from
      this.plan = env.pollPlan?.begin(resume.createdAtMs, undefined);
      this.phase = 'poll';
      return this.beforePoll();
    }
    if (env.circuitOpen()) return this.done({ status: 'unavailable', reason: UNAVAILABLE_REASON });
    return this.beginStep();
  }

  waited(): QuoteAction {
    if (this.remaining() <= 0) return this.waitRefused();
    switch (this.waitingFor) {
      case 'before-poll':
        if (this.interrupted()) return this.done({ status: 'interrupted' });
        return this.beginStep();
      case 'admission':
        if (this.interrupted()) return this.stepFailed({ status: 'interrupted' });
        return { kind: 'admit' };
      case 'throttled':
        this.throttled++;
        return this.tryStep();
    }
  }

  admitted(waitMs: number): QuoteAction {
    if (waitMs <= 0) return this.call();
    return this.waitWithinDeadline(waitMs, 'admission');
  }

  submitted(outcome: CreateOutcome): QuoteAction {
    this.createdAtMs = this.env.now();
    this.accepted = outcome;
    const nextPollAtMs = outcome.kind === 'accepted' ? this.createdAtMs + (outcome.retryAfterMs ?? this.scheduled(0)) : undefined;
    return { kind: 'record-create', outcome, nextPollAtMs, createdAtMs: this.createdAtMs };
  }

  recorded(): QuoteAction {
    const created = this.accepted;
    if (!created) throw new Error('recorded() before a create was answered');
    if (created.kind === 'declined') return this.done({ status: 'declined', reason: created.reason });
    this.externalId = created.externalId;
    this.hint = created.retryAfterMs;
    this.plan = this.env.pollPlan?.begin(this.createdAtMs, this.hint);
    this.phase = 'poll';
    return this.beforePoll();
  }

  polled(answer: PollOutcome): QuoteAction {
    this.failures = 0;
    this.plan?.answered(this.sentAtMs, answer);
    if (answer.kind === 'processing') {
      this.hint = answer.retryAfterMs;
      this.attempt++;
      return this.beforePoll();
    }
    if (answer.kind === 'declined') return this.done({ status: 'declined', reason: answer.reason });
    return this.done(offerOf(answer));
  }

  failed(err: unknown): QuoteAction {
    if (this.interrupted()) return this.stepFailed({ status: 'interrupted' });
    const type = errorType(err);
    if (type && UNAVAILABLE_TYPES.has(type)) {
      // `unavailable` promises the insurer was not asked; after a refused attempt it was
      const first = this.phase === 'create' && this.throttled === 0;
      return this.stepFailed(first ? { status: 'unavailable', reason: UNAVAILABLE_REASON } : { status: 'failed', reason: 'страховая перестала отвечать во время расчёта' });
    }
    if (type === ErrorType.deadlinePassed) return this.stepFailed({ status: 'deadline' });
    // a 429 is an insurer that is up and asks us to slow down: wait it out for as long as the
    // deadline allows; a 503 with Retry-After (overloaded, down) only a few times
    const status = (err as { data?: { status?: number } }).data?.status;
    if (type === ErrorType.insurerThrottled && (status === 429 || this.throttled < this.env.settings.throttledRetries)) {
      const hint = (err as { data?: { retryAfterMs?: number } }).data?.retryAfterMs;
      return this.waitWithinDeadline(Math.min(hint ?? this.scheduled(this.throttled), this.env.settings.maxRetryAfterMs), 'throttled');
    }
    return this.stepFailed({ status: 'failed', reason: describe(err), cause: (err as Error | null)?.message });
  }

  private beforePoll(): QuoteAction {
    const wait = this.plan ? this.plan.delay(this.env.now(), this.hint, this.attempt) : (this.hint ?? this.scheduled(this.attempt));
    return this.waitWithinDeadline(wait, 'before-poll');
  }

  private beginStep(): QuoteAction {
    this.throttled = 0;
    return this.tryStep();
  }

  private tryStep(): QuoteAction {
    if (this.interrupted()) return this.stepFailed({ status: 'interrupted' });
    if (this.remaining() <= 0) return this.stepFailed({ status: 'deadline' });
    return this.env.admits ? { kind: 'admit' } : this.call();
  }

  private call(): QuoteAction {
    return this.phase === 'create' ? { kind: 'submit' } : { kind: 'poll', externalId: this.externalId };
  }

  /** The call asked for goes out now: after any admission wait, throttled retry or free call slot, when the insurer is asked. */
  sending(): void {
    this.sentAtMs = this.env.now();
  }

  /** A step that ended without an answer: final for the create; a failed poll is tried again a few times. */
  private stepFailed(outcome: LoopOutcome): QuoteAction {
    if (this.phase === 'create' || outcome.status !== 'failed' || ++this.failures >= this.env.settings.maxPollFailures) return this.done(outcome);
    this.attempt++;
    return this.beforePoll(); // at the insurer's last hint, not at a later (longer) schedule step
  }

  private waitWithinDeadline(ms: number, purpose: WaitPurpose): QuoteAction {
    this.waitingFor = purpose;
    // a wait that begins once the node is stopping would hold the quote (and its message) for nothing
    if (this.interrupted()) return purpose === 'before-poll' ? this.done({ status: 'interrupted' }) : this.stepFailed({ status: 'interrupted' });
    if (ms >= this.remaining()) return this.waitRefused();
    return { kind: 'wait', ms };
  }

  /** The deadline comes before the wait would end. */
  private waitRefused(): QuoteAction {
    switch (this.waitingFor) {
      case 'before-poll':
        return this.done({ status: 'deadline' });
      case 'admission':
        return this.stepFailed({ status: this.interrupted() ? 'interrupted' : 'deadline' });
      case 'throttled':
        return this.stepFailed({ status: 'deadline' });
    }
  }

  private done(outcome: LoopOutcome): QuoteAction {
    return { kind: 'done', outcome };
  }

  private remaining(): number {
    return this.deadlineMs - this.env.now();
  }

  private interrupted(): boolean {
    return this.env.interrupted?.() ?? false;
  }

  private scheduled(i: number): number {
    const schedule = this.env.settings.pollScheduleMs;
    return schedule[Math.min(i, schedule.length - 1)];
  }
}

export interface QuoteLoopDeps {
  deadlineMs: number; // epoch ms
  resume?: ResumePoint;
  submit(): Promise<CreateOutcome>;
  /** Called once the insurer accepted or declined our create (at `createdAtMs`), before anything else happens. */
  created?(outcome: CreateOutcome, nextPollAtMs: number | undefined, createdAtMs: number): Promise<void> | void;
  /** Before each call: 0 to go now, or how long to wait (a cluster-wide pause after a 429, the outbound rate). */
  admission?(): Promise<number> | number;
  poll(externalId: string): Promise<PollOutcome>;
  circuitOpen(): boolean;
  now(): number;
  sleep(ms: number): Promise<void>;
  interrupted?(): boolean;
  pollPlan?: PollPlan;
}

/** One quote, start to end, through a scheduler of its own whose timers are `deps.sleep`. */
export function runQuoteLoop(deps: QuoteLoopDeps, settings: QuoteLoopSettings): Promise<LoopOutcome> {
  return new Promise((resolve, reject) => {
    const env: QuoteEnv = { settings, now: deps.now, circuitOpen: deps.circuitOpen, interrupted: deps.interrupted, admits: deps.admission !== undefined, pollPlan: deps.pollPlan };
    const scheduler = new QuoteScheduler<undefined>({
      now: deps.now,
      timer: (ms, fire) => {
        let cancelled = false;
        deps.sleep(ms).then(() => {
          if (!cancelled) fire();
        }, reject);
        return () => void (cancelled = true);
      },
      admission: () => deps.admission?.() ?? 0,
      submit: () => deps.submit(),
      poll: (_job, externalId) => deps.poll(externalId),
      created: (_job, outcome, nextPollAtMs, createdAtMs) => deps.created?.(outcome, nextPollAtMs, createdAtMs),
      finished: (_job, outcome) => resolve(outcome),
      broke: (_job, err) => reject(err),
    });
    scheduler.start(undefined, new QuoteMachine(env, deps.deadlineMs, deps.resume));
  });
}
