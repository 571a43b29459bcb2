/**
 * One insurer, one application: submit, then poll until a final answer or the deadline.
 * Framework-free: the guarded calls, the clock and sleeping are injected, so the rules
 * (honour Retry-After, never poll after the deadline, a decline is final) are unit-testable.
 */
import type { CreateOutcome, PollOutcome } from './adapter';
import type { PollPlan, QuotePolling } from './poll-plan';
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
  /** Decides the wait before each poll and learns from each answer; without it hints and the schedule rule. */
  pollPlan?: PollPlan;
}

export interface QuoteLoopSettings {
  pollScheduleMs: number[];
  throttledRetries: number;
  maxRetryAfterMs: number;
  maxPollFailures: number; // consecutive failed polls before giving up
}

type Step<T> = { ok: true; value: T } | { ok: false; outcome: LoopOutcome };

const UNAVAILABLE_TYPES = new Set(['SERVICE_NOT_AVAILABLE', 'SERVICE_NOT_FOUND']);

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

export async function runQuoteLoop(deps: QuoteLoopDeps, settings: QuoteLoopSettings): Promise<LoopOutcome> {
  const remaining = () => deps.deadlineMs - deps.now();
  const scheduled = (i: number) => settings.pollScheduleMs[Math.min(i, settings.pollScheduleMs.length - 1)];

  /** Waits `ms` unless that would reach the deadline; false means stop. */
  // not an async function: every quote between polls sleeps here, and a suspended async frame (its
  // generator, registers and context) costs a few hundred bytes a quote; a promise chain less
  function waitWithinDeadline(ms: number): Promise<boolean> {
    if (ms >= remaining()) return Promise.resolve(false);
    return deps.sleep(ms).then(() => remaining() > 0);
  }
  const interrupted = () => deps.interrupted?.() ?? false;

  /** Waits while admission says so; false when the deadline or a stop comes first. */
  async function admitted(): Promise<boolean> {
    for (;;) {
      const wait = (await deps.admission?.()) ?? 0;
      if (wait <= 0) return true;
      if (!(await waitWithinDeadline(wait)) || interrupted()) return false;
    }
  }

  /** One guarded call; throttling (429/503) is waited out per its Retry-After a few times. */
  async function step<T>(call: () => Promise<T>, unavailableWhenOpen: boolean): Promise<Step<T>> {
    for (let throttled = 0; ; throttled++) {
      if (interrupted()) return { ok: false, outcome: { status: 'interrupted' } };
      if (remaining() <= 0) return { ok: false, outcome: { status: 'deadline' } };
      if (!(await admitted())) return { ok: false, outcome: { status: interrupted() ? 'interrupted' : 'deadline' } };
      try {
        return { ok: true, value: await call() };
      } catch (err) {
        if (interrupted()) return { ok: false, outcome: { status: 'interrupted' } };
        const type = errorType(err);
        if (type && UNAVAILABLE_TYPES.has(type)) {
          // `unavailable` promises the insurer was not asked; after a refused attempt it was
          return {
            ok: false,
            outcome: unavailableWhenOpen && throttled === 0
              ? { status: 'unavailable', reason: 'страховая временно недоступна (цепь разомкнута)' }
              : { status: 'failed', reason: 'страховая перестала отвечать во время расчёта' },
          };
        }
        if (type === ErrorType.deadlinePassed) return { ok: false, outcome: { status: 'deadline' } };
        // a 429 is an insurer that is up and asks us to slow down: wait it out for as long as the
        // deadline allows; a 503 with Retry-After (overloaded, down) only a few times
        const status = (err as { data?: { status?: number } }).data?.status;
        if (type === ErrorType.insurerThrottled && (status === 429 || throttled < settings.throttledRetries)) {
          const hint = (err as { data?: { retryAfterMs?: number } }).data?.retryAfterMs;
          const wait = Math.min(hint ?? scheduled(throttled), settings.maxRetryAfterMs);
          if (await waitWithinDeadline(wait)) continue;
          return { ok: false, outcome: { status: 'deadline' } };
        }
        return { ok: false, outcome: { status: 'failed', reason: describe(err), cause: (err as Error | null)?.message } };
      }
    }
  }

  let externalId: string;
  let hint: number | undefined;
  let plan: QuotePolling | undefined;
  if (deps.resume) {
    externalId = deps.resume.externalId;
    hint = Math.max(0, (deps.resume.nextPollAtMs ?? 0) - deps.now());
    // the wait to the recorded poll time is ours, not the insurer's: it is not a hint to learn from
    plan = deps.pollPlan?.begin(deps.resume.createdAtMs, undefined);
  } else {
    if (deps.circuitOpen()) return { status: 'unavailable', reason: 'страховая временно недоступна (цепь разомкнута)' };
    const created = await step(deps.submit, true);
    if (!created.ok) return created.outcome;
    const createdAtMs = deps.now();
    const firstPollAt = created.value.kind === 'accepted' ? createdAtMs + (created.value.retryAfterMs ?? scheduled(0)) : undefined;
    await deps.created?.(created.value, firstPollAt, createdAtMs);
    if (created.value.kind === 'declined') return { status: 'declined', reason: created.value.reason };
    externalId = created.value.externalId;
    hint = created.value.retryAfterMs;
    plan = deps.pollPlan?.begin(createdAtMs, hint);
  }

  let failures = 0;
  for (let attempt = 0; ; attempt++) {
    const wait = plan ? plan.delay(deps.now(), hint, attempt) : (hint ?? scheduled(attempt));
    if (!(await waitWithinDeadline(wait))) return { status: 'deadline' };
    if (interrupted()) return { status: 'interrupted' };
    let sentAtMs = deps.now();
    const polled = await step(() => {
      sentAtMs = deps.now(); // after any admission wait or throttled retry: when the insurer was asked
      return deps.poll(externalId);
    }, false);
    if (!polled.ok) {
      if (polled.outcome.status !== 'failed' || ++failures >= settings.maxPollFailures) return polled.outcome;
      continue; // poll again at the insurer's last hint, not at a later (longer) schedule step
    }
    failures = 0;
    const answer = polled.value;
    plan?.answered(sentAtMs, answer);
    if (answer.kind === 'processing') {
      hint = answer.retryAfterMs;
      continue;
    }
    if (answer.kind === 'declined') return { status: 'declined', reason: answer.reason };
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
}
