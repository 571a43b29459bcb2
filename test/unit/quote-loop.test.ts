/**
 * runQuoteLoop on a virtual clock: `sleep` moves `now` forward, so every wait the loop takes is
 * observable exactly and nothing here depends on real time.
 */
import type { CreateOutcome, PollOutcome } from '../../lib/insurers/adapter';
import { runQuoteLoop, type LoopOutcome, type QuoteLoopSettings, type ResumePoint } from '../../lib/insurers/quote-loop';
import type { PollPlan } from '../../lib/insurers/poll-plan';
import { quoteFromOutcome } from '../../lib/quotes/from-outcome';
import type { Coefficients, DriverRating, TerritoryFactor } from '../../lib/tariff/types';
import {
  DeadlinePassedError,
  InsurerProtocolError,
  InsurerRejectedError,
  InsurerThrottledError,
  InsurerTransientError,
} from '../../lib/errors';
import { Errors } from 'moleculer';

const START = 1_800_000_000_000;
const SETTINGS: QuoteLoopSettings = { pollScheduleMs: [500, 1_000, 2_000], throttledRetries: 3, maxRetryAfterMs: 10_000, maxPollFailures: 3 };
const COEFFICIENTS: Coefficients = { tb: 7000, kt: 1.8, kbm: 0.83, kvs: 0.97, ko: 1, km: 1.4, ks: 1, kn: 1, kpr: 1 };
const DRIVERS: DriverRating[] = [
  { index: 0, kbmClass: '6', kbm: 0.83, kvs: 0.97, applied: true },
  { index: 1, kbmClass: 'M', kbm: 0.83, kvs: 0.97, applied: false },
];
const TERRITORY: TerritoryFactor = { base: 1.8, multiplier: 1 };
const OFFER: Extract<PollOutcome, { kind: 'offer' }> = {
  kind: 'offer',
  premium: 14202.27,
  offerId: 'OFF-1',
  validUntil: '2030-01-01T00:00:00.000Z',
  coefficients: COEFFICIENTS,
  drivers: DRIVERS,
  territory: TERRITORY,
};
const ACCEPTED: CreateOutcome = { kind: 'accepted', externalId: 'ext-1' };
const PROCESSING: PollOutcome = { kind: 'processing' };

type Script<T> = Array<T | Error | ((at: number) => T | Error)>;

/** What the insurer does, call by call; the last entry repeats. */
interface Scenario {
  submit?: Script<CreateOutcome>;
  poll?: Script<PollOutcome>;
  deadlineInMs?: number;
  circuitOpen?: boolean;
  latencyMs?: number; // each call takes this long on the virtual clock
  interruptAt?: number; // the node starts stopping at this virtual time
  settings?: Partial<QuoteLoopSettings>;
  resume?: ResumePoint; // relative nextPollAtMs and createdAtMs, turned into virtual time
  admission?: (at: number) => number; // ms to wait before a call made at this virtual time
  pollPlan?: PollPlan;
}

function notAvailable(): Error {
  return new Errors.ServiceNotAvailableError({ action: 'insurers.x.submit', nodeID: 'n1' });
}

function throttled(retryAfterMs?: number, status: 429 | 503 = 429): Error {
  return new InsurerThrottledError('x', status, retryAfterMs);
}

async function run(scenario: Scenario) {
  let now = START;
  const deadlineMs = START + (scenario.deadlineInMs ?? 60_000);
  const sleeps: number[] = [];
  const submits: number[] = []; // virtual time of each call, relative to START
  const polls: Array<{ at: number; id: string }> = [];
  const created: Array<{ at: number; outcome: CreateOutcome; nextPollAt?: number }> = [];
  const admissions: number[] = [];
  const next = <T>(script: Script<T> | undefined, n: number, what: string): T => {
    if (!script || script.length === 0) throw new Error(`unexpected ${what}`);
    const step = script[Math.min(n, script.length - 1)];
    const value = typeof step === 'function' ? (step as (at: number) => T | Error)(now - START) : step;
    if (value instanceof Error) throw value;
    return value;
  };
  const outcome: LoopOutcome = await runQuoteLoop(
    {
      deadlineMs,
      resume: scenario.resume && {
        ...scenario.resume,
        nextPollAtMs: scenario.resume.nextPollAtMs === undefined ? undefined : START + scenario.resume.nextPollAtMs,
        createdAtMs: scenario.resume.createdAtMs === undefined ? undefined : START + scenario.resume.createdAtMs,
      },
      pollPlan: scenario.pollPlan,
      created: (outcome, nextPollAtMs) => void created.push({ at: now - START, outcome, nextPollAt: nextPollAtMs === undefined ? undefined : nextPollAtMs - START }),
      admission: scenario.admission && (() => {
        admissions.push(now - START);
        return scenario.admission?.(now - START) ?? 0;
      }),
      now: () => now,
      sleep: async (ms) => {
        expect(ms).toBeGreaterThanOrEqual(0);
        sleeps.push(ms);
        now += ms;
      },
      circuitOpen: () => scenario.circuitOpen ?? false,
      interrupted: () => scenario.interruptAt !== undefined && now - START >= scenario.interruptAt,
      submit: async () => {
        submits.push(now - START);
        now += scenario.latencyMs ?? 0;
        return next(scenario.submit, submits.length - 1, 'submit');
      },
      poll: async (id) => {
        polls.push({ at: now - START, id });
        now += scenario.latencyMs ?? 0;
        return next(scenario.poll, polls.length - 1, 'poll');
      },
    },
    { ...SETTINGS, ...scenario.settings },
  );
  return { outcome, sleeps, submits, polls, created, admissions, elapsed: now - START, deadlineIn: deadlineMs - START };
}

describe('runQuoteLoop: the happy path', () => {
  it('submits, polls while processing, and returns the offer', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [PROCESSING, PROCESSING, OFFER] });
    expect(r.outcome).toEqual({
      status: 'offer',
      premium: 14202.27,
      offerId: 'OFF-1',
      validUntil: '2030-01-01T00:00:00.000Z',
      coefficients: COEFFICIENTS,
      drivers: DRIVERS,
      territory: TERRITORY,
    });
    expect(r.submits).toHaveLength(1);
    expect(r.polls.map((p) => p.id)).toEqual(['ext-1', 'ext-1', 'ext-1']);
  });

  it("waits the insurer's retryAfterMs hints, at create and at each poll", async () => {
    const r = await run({
      submit: [{ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 700 }],
      poll: [{ kind: 'processing', retryAfterMs: 300 }, { kind: 'processing', retryAfterMs: 0 }, OFFER],
    });
    expect(r.outcome.status).toBe('offer');
    expect(r.sleeps).toEqual([700, 300, 0]);
    expect(r.polls.map((p) => p.at)).toEqual([700, 1000, 1000]);
  });

  it('follows the configured schedule when there is no hint, repeating its last step', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [PROCESSING, PROCESSING, PROCESSING, PROCESSING, OFFER] });
    expect(r.outcome.status).toBe('offer');
    expect(r.sleeps).toEqual([500, 1_000, 2_000, 2_000, 2_000]);
    expect(r.polls.map((p) => p.at)).toEqual([500, 1_500, 3_500, 5_500, 7_500]);
  });

  it('goes back to the schedule when a later answer has no hint', async () => {
    const r = await run({
      submit: [{ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 50 }],
      poll: [PROCESSING, { kind: 'processing', retryAfterMs: 70 }, PROCESSING, OFFER],
    });
    expect(r.sleeps).toEqual([50, 1_000, 70, 2_000]);
  });
});

describe('runQuoteLoop: declines are final', () => {
  it('a decline at create ends the loop without a poll or a wait', async () => {
    const r = await run({ submit: [{ kind: 'declined', reason: 'регион не обслуживается' }] });
    expect(r.outcome).toEqual({ status: 'declined', reason: 'регион не обслуживается' });
    expect(r.polls).toHaveLength(0);
    expect(r.sleeps).toHaveLength(0);
    expect(r.submits).toHaveLength(1);
  });

  it('a decline at poll ends the loop: no further poll', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [PROCESSING, { kind: 'declined', reason: 'мощный автомобиль' }, OFFER] });
    expect(r.outcome).toEqual({ status: 'declined', reason: 'мощный автомобиль' });
    expect(r.polls).toHaveLength(2);
    expect(r.submits).toHaveLength(1);
  });
});

describe('runQuoteLoop: throttling (429/503 with Retry-After)', () => {
  it('waits exactly the hint before submitting again', async () => {
    const r = await run({ submit: [throttled(1_234), throttled(1_234), ACCEPTED], poll: [OFFER] });
    expect(r.outcome.status).toBe('offer');
    expect(r.submits).toEqual([0, 1_234, 2_468]);
    expect(r.sleeps.slice(0, 2)).toEqual([1_234, 1_234]);
  });

  it('waits exactly the hint before polling again', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [throttled(900), PROCESSING, throttled(250), OFFER] });
    expect(r.outcome.status).toBe('offer');
    expect(r.polls.map((p) => p.at)).toEqual([500, 1_400, 2_400, 2_650]);
    expect(r.sleeps).toEqual([500, 900, 1_000, 250]);
  });

  it('a 503 with Retry-After gives up after throttledRetries retries: the insurer was called 1 + throttledRetries times', async () => {
    const r = await run({ submit: [throttled(1_000, 503)] });
    expect(r.outcome).toEqual({ status: 'failed', reason: expect.stringContaining('503'), cause: 'x answered 503' });
    expect(r.submits).toEqual([0, 1_000, 2_000, 3_000]);
    expect(r.sleeps).toEqual([1_000, 1_000, 1_000]);
  });

  it('a 429 is waited out for as long as the deadline allows: the insurer is up, only busy', async () => {
    const r = await run({ deadlineInMs: 10_500, submit: [throttled(1_000)] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.submits).toHaveLength(11);
    const later = await run({ submit: [throttled(1_000), throttled(1_000), throttled(1_000), throttled(1_000), throttled(1_000), ACCEPTED], poll: [OFFER] });
    expect(later.outcome.status).toBe('offer');
  });

  it('throttledRetries: 0 means no retry at all after a 503', async () => {
    const r = await run({ submit: [throttled(1_000, 503)], settings: { throttledRetries: 0 } });
    expect(r.outcome.status).toBe('failed');
    expect(r.submits).toHaveLength(1);
    expect(r.sleeps).toHaveLength(0);
  });

  it('caps an enormous Retry-After at maxRetryAfterMs', async () => {
    const r = await run({ submit: [throttled(3_600_000), ACCEPTED], poll: [OFFER], settings: { maxRetryAfterMs: 4_000 } });
    expect(r.outcome.status).toBe('offer');
    expect(r.sleeps[0]).toBe(4_000);
  });

  it('without a Retry-After falls back to the schedule', async () => {
    const r = await run({ submit: [throttled(undefined), throttled(undefined), ACCEPTED], poll: [OFFER] });
    expect(r.outcome.status).toBe('offer');
    expect(r.submits).toEqual([0, 500, 1_500]);
  });

  it('a hint that would reach past the deadline stops the loop without waiting it out', async () => {
    const r = await run({ deadlineInMs: 2_000, submit: [throttled(5_000), ACCEPTED], poll: [OFFER] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.submits).toHaveLength(1);
    expect(r.sleeps).toHaveLength(0);
  });

  it('503 polls count against throttledRetries per poll, then the poll counts as a failure', async () => {
    // 1 + 3 throttled answers make one failed poll; three failed polls end the loop
    const r = await run({ submit: [ACCEPTED], poll: [throttled(100, 503)] });
    expect(r.outcome.status).toBe('failed');
    expect(r.polls).toHaveLength(3 * (1 + SETTINGS.throttledRetries));
  });
});

describe('runQuoteLoop: the deadline', () => {
  it('never sleeps past the deadline nor polls after it, and reports `deadline`', async () => {
    const r = await run({ deadlineInMs: 4_000, submit: [ACCEPTED], poll: [PROCESSING] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    // 500, 1500, 3500: the next 2000 ms step would end at 5500, past 4000
    expect(r.polls.map((p) => p.at)).toEqual([500, 1_500, 3_500]);
    expect(r.elapsed).toBeLessThan(r.deadlineIn);
    for (const poll of r.polls) expect(poll.at).toBeLessThan(r.deadlineIn);
  });

  it('a wait that would end exactly at the deadline is not taken', async () => {
    const r = await run({ deadlineInMs: 1_000, submit: [{ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 1_000 }], poll: [OFFER] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.polls).toHaveLength(0);
    expect(r.sleeps).toHaveLength(0);
  });

  it("an insurer's hint beyond the deadline is not waited: no sleep, no poll", async () => {
    const r = await run({ deadlineInMs: 3_000, submit: [{ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 30_000 }], poll: [OFFER] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.sleeps).toEqual([]);
    expect(r.polls).toEqual([]);
  });

  it('slow calls eat the budget: the loop stops once the deadline has passed', async () => {
    const r = await run({ deadlineInMs: 2_000, latencyMs: 700, submit: [ACCEPTED], poll: [PROCESSING] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    // submit 0–700, wait 500, poll 1200–1900; the next 1000 ms wait would pass the deadline
    expect(r.polls.map((p) => p.at)).toEqual([1_200]);
    for (const poll of r.polls) expect(poll.at).toBeLessThan(r.deadlineIn);
  });

  it('an application already past its deadline asks nobody', async () => {
    const r = await run({ deadlineInMs: 0, submit: [ACCEPTED], poll: [OFFER] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.submits).toHaveLength(0);
  });

  it('DEADLINE_PASSED from the action is reported as `deadline`', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [new DeadlinePassedError('x')] });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.polls).toHaveLength(1);
  });
});

describe('runQuoteLoop: an unavailable insurer', () => {
  it('an open circuit gives `unavailable` without calling submit', async () => {
    const r = await run({ circuitOpen: true, submit: [ACCEPTED], poll: [OFFER] });
    expect(r.outcome).toEqual({ status: 'unavailable', reason: expect.any(String) });
    expect(r.submits).toHaveLength(0);
    expect(r.polls).toHaveLength(0);
    expect(r.sleeps).toHaveLength(0);
  });

  it('SERVICE_NOT_AVAILABLE on submit (the breaker refused) is `unavailable` at once', async () => {
    const r = await run({ submit: [notAvailable(), ACCEPTED], poll: [OFFER] });
    expect(r.outcome).toEqual({ status: 'unavailable', reason: expect.any(String) });
    expect(r.submits).toHaveLength(1);
    expect(r.sleeps).toHaveLength(0);
  });

  it('a stopping node leaves the loop between polls without a verdict', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [PROCESSING], interruptAt: 2_500 });
    expect(r.outcome).toEqual({ status: 'interrupted' });
    expect(r.polls.every((p) => p.at < 2_500)).toBe(true);
  });

  it('a circuit that opens after a throttled attempt ends `failed`: the insurer was asked', async () => {
    const down = new InsurerThrottledError('x', 503, 1_000);
    const r = await run({ submit: [down, notAvailable()] });
    expect(r.outcome.status).toBe('failed');
    expect(r.submits).toHaveLength(2);
    expect(r.sleeps).toEqual([1_000]);
  });

  it('SERVICE_NOT_AVAILABLE on every poll (the insurer went away mid-quote) ends `failed`', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [notAvailable()] });
    expect(r.outcome).toEqual({ status: 'failed', reason: expect.any(String) });
    expect(r.polls.length).toBeGreaterThanOrEqual(1);
    expect(r.polls.length).toBeLessThanOrEqual(SETTINGS.maxPollFailures);
  });
});

describe('runQuoteLoop: errors', () => {
  it.each([
    ['rejected', new InsurerRejectedError('x', 400, 'bad vin'), 'страховая отклонила запрос (HTTP 400)'],
    ['protocol', new InsurerProtocolError('x', 'answered 200 with a body that is not JSON'), 'страховая прислала ответ в неожиданном формате'],
    ['transient (after Moleculer retries)', new InsurerTransientError('x answered 500', { insurer: 'x', status: 500 }), 'сбой на стороне страховой (HTTP 500)'],
  ])('a %s error on submit is `failed` with a readable reason and the message as cause, not retried', async (_kind, error, reason) => {
    const r = await run({ submit: [error, ACCEPTED], poll: [OFFER] });
    expect(r.outcome).toEqual({ status: 'failed', reason, cause: error.message });
    expect(r.submits).toHaveLength(1);
    expect(r.polls).toHaveLength(0);
  });

  it('a protocol error on every poll ends `failed` after maxPollFailures polls', async () => {
    const error = new InsurerProtocolError('x', 'no status');
    const r = await run({ submit: [ACCEPTED], poll: [error] });
    expect(r.outcome).toEqual({ status: 'failed', reason: 'страховая прислала ответ в неожиданном формате', cause: error.message });
    expect(r.polls).toHaveLength(SETTINGS.maxPollFailures);
  });

  it('gives up after maxPollFailures consecutive failed polls, re-polling at the insurer\'s last hint', async () => {
    const error = new InsurerTransientError('x answered 502', { insurer: 'x', status: 502 });
    const r = await run({ submit: [{ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 100 }], poll: [error], settings: { maxPollFailures: 4 } });
    expect(r.outcome).toEqual({ status: 'failed', reason: 'сбой на стороне страховой (HTTP 502)', cause: 'x answered 502' });
    expect(r.polls).toHaveLength(4);
    expect(r.sleeps).toEqual([100, 100, 100, 100]);
  });

  it('a successful poll resets the count of consecutive failures', async () => {
    const error = new InsurerTransientError('x answered 500', { insurer: 'x', status: 500 });
    const r = await run({ submit: [ACCEPTED], poll: [error, error, PROCESSING, error, error, OFFER] });
    expect(r.outcome.status).toBe('offer');
    expect(r.polls).toHaveLength(6);
  });

  it('maxPollFailures: 1 means the first failed poll is final', async () => {
    const error = new InsurerTransientError('x answered 500', { insurer: 'x', status: 500 });
    const r = await run({ submit: [ACCEPTED], poll: [error, OFFER], settings: { maxPollFailures: 1 } });
    expect(r.outcome.status).toBe('failed');
    expect(r.polls).toHaveLength(1);
  });
});

describe('runQuoteLoop: a quote taken over from another worker', () => {
  it('resumes polling the recorded id at the recorded time, without a create', async () => {
    const r = await run({ resume: { externalId: 'ext-9', nextPollAtMs: 1_200 }, poll: [PROCESSING, OFFER] });
    expect(r.outcome.status).toBe('offer');
    expect(r.submits).toEqual([]);
    expect(r.created).toEqual([]);
    expect(r.polls.map((p) => p.id)).toEqual(['ext-9', 'ext-9']);
    expect(r.polls[0].at).toBe(1_200);
  });

  it('polls at once when the recorded poll time has passed', async () => {
    const r = await run({ resume: { externalId: 'ext-9', nextPollAtMs: -5_000 }, poll: [OFFER] });
    expect(r.polls).toEqual([{ at: 0, id: 'ext-9' }]);
  });

  it('an open circuit does not turn a resumed quote into `unavailable`: the insurer was asked already', async () => {
    const r = await run({ resume: { externalId: 'ext-9' }, circuitOpen: true, poll: [OFFER] });
    expect(r.outcome.status).toBe('offer');
  });

  it('reports the accepted create once, with the time of the first poll, before polling', async () => {
    const r = await run({ submit: [{ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 700 }], poll: [OFFER], latencyMs: 50 });
    expect(r.created).toEqual([{ at: 50, outcome: { kind: 'accepted', externalId: 'ext-1', retryAfterMs: 700 }, nextPollAt: 750 }]);
    expect(r.polls[0].at).toBe(750);
  });

  it('reports a decline at create too, so a takeover does not create again', async () => {
    const r = await run({ submit: [{ kind: 'declined', reason: 'нет' }] });
    expect(r.outcome).toEqual({ status: 'declined', reason: 'нет' });
    expect(r.created).toEqual([{ at: 0, outcome: { kind: 'declined', reason: 'нет' }, nextPollAt: undefined }]);
  });
});

describe('runQuoteLoop: admission (a cluster-wide pause, the outbound rate)', () => {
  it('waits what admission asks before the create and before each poll', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [OFFER], admission: (at) => (at < 2_000 ? 2_000 - at : 0) });
    expect(r.submits).toEqual([2_000]);
    expect(r.polls[0].at).toBe(2_500);
    expect(r.admissions).toEqual([0, 2_000, 2_500]);
  });

  it('ends at the deadline without a call when admission never lets it go', async () => {
    const r = await run({ submit: [ACCEPTED], deadlineInMs: 5_000, admission: () => 1_000 });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.submits).toEqual([]);
  });

  it('a stop while waiting for admission hands the quote back', async () => {
    const r = await run({ submit: [ACCEPTED], interruptAt: 1_500, admission: (at) => (at < 3_000 ? 1_000 : 0) });
    expect(r.outcome).toEqual({ status: 'interrupted' });
    expect(r.submits).toEqual([]);
  });
});

describe('runQuoteLoop: a poll plan decides the waits', () => {
  /** Answers `waits` in turn (the last repeats) and writes down what the loop tells it, in virtual time. */
  function scriptedPlan(waits: number[]) {
    const begun: Array<{ createdAt?: number; hint?: number }> = [];
    const asked: Array<{ at: number; hint?: number; attempt: number }> = [];
    const heard: Array<{ sentAt: number; kind: string }> = [];
    const plan: PollPlan = {
      begin: (createdAtMs, createHintMs) => {
        begun.push({ createdAt: createdAtMs === undefined ? undefined : createdAtMs - START, hint: createHintMs });
        return {
          exploring: false,
          delay: (nowMs, hintMs, attempt) => {
            asked.push({ at: nowMs - START, hint: hintMs, attempt });
            return waits[Math.min(asked.length - 1, waits.length - 1)];
          },
          answered: (sentAtMs, answer) => void heard.push({ sentAt: sentAtMs - START, kind: answer.kind }),
        };
      },
    };
    return { plan, begun, asked, heard };
  }

  it('waits what the plan says, telling it the create time, each hint and when each answered poll went out', async () => {
    const p = scriptedPlan([1_000, 2_000, 500]);
    const r = await run({
      latencyMs: 50,
      submit: [{ kind: 'accepted', externalId: 'ext-1', retryAfterMs: 700 }],
      poll: [{ kind: 'processing', retryAfterMs: 300 }, PROCESSING, OFFER],
      pollPlan: p.plan,
    });
    expect(r.outcome.status).toBe('offer');
    expect(p.begun).toEqual([{ createdAt: 50, hint: 700 }]);
    expect(p.asked).toEqual([
      { at: 50, hint: 700, attempt: 0 },
      { at: 1_100, hint: 300, attempt: 1 },
      { at: 3_150, hint: undefined, attempt: 2 },
    ]);
    expect(r.polls.map((poll) => poll.at)).toEqual([1_050, 3_100, 3_650]);
    expect(p.heard).toEqual([
      { sentAt: 1_050, kind: 'processing' },
      { sentAt: 3_100, kind: 'processing' },
      { sentAt: 3_650, kind: 'offer' },
    ]);
    expect(r.created[0].nextPollAt).toBe(750); // the recorded first poll stays the insurer's hint
  });

  it('a decline found on poll is reported to the plan; a decline at create starts no plan', async () => {
    const p = scriptedPlan([100]);
    await run({ submit: [ACCEPTED], poll: [PROCESSING, { kind: 'declined', reason: 'нет' }], pollPlan: p.plan });
    expect(p.heard.map((h) => h.kind)).toEqual(['processing', 'declined']);
    const q = scriptedPlan([100]);
    await run({ submit: [{ kind: 'declined', reason: 'нет' }], pollPlan: q.plan });
    expect(q.begun).toEqual([]);
  });

  it('a resumed quote gives the plan its create time, and the wait to the recorded poll time is no hint to learn', async () => {
    const p = scriptedPlan([0, 400]);
    const r = await run({ resume: { externalId: 'ext-9', nextPollAtMs: 1_200, createdAtMs: -5_000 }, poll: [PROCESSING, OFFER], pollPlan: p.plan });
    expect(r.outcome.status).toBe('offer');
    expect(p.begun).toEqual([{ createdAt: -5_000, hint: undefined }]);
    expect(p.asked[0]).toEqual({ at: 0, hint: 1_200, attempt: 0 });
    const unknown = scriptedPlan([0]);
    await run({ resume: { externalId: 'ext-9' }, poll: [OFFER], pollPlan: unknown.plan });
    expect(unknown.begun).toEqual([{ createdAt: undefined, hint: undefined }]);
  });

  it("a plan's wait that would reach the deadline is not taken: no poll", async () => {
    const p = scriptedPlan([2_000, 70_000]);
    const r = await run({ submit: [ACCEPTED], poll: [PROCESSING], pollPlan: p.plan });
    expect(r.outcome).toEqual({ status: 'deadline' });
    expect(r.polls.map((poll) => poll.at)).toEqual([2_000]);
    expect(r.elapsed).toBeLessThan(r.deadlineIn);
  });

  it("a 429 on a poll is still waited out per its Retry-After; the plan hears the call that answered, and no failure", async () => {
    const p = scriptedPlan([1_000]);
    const error = new InsurerTransientError('x answered 500', { insurer: 'x', status: 500 });
    const r = await run({ submit: [ACCEPTED], poll: [throttled(900), PROCESSING, error, OFFER], pollPlan: p.plan });
    expect(r.outcome.status).toBe('offer');
    expect(r.polls.map((poll) => poll.at)).toEqual([1_000, 1_900, 2_900, 3_900]);
    expect(r.sleeps).toEqual([1_000, 900, 1_000, 1_000]);
    expect(p.heard).toEqual([
      { sentAt: 1_900, kind: 'processing' },
      { sentAt: 3_900, kind: 'offer' },
    ]);
  });
});

describe('the offer, on into the Quote (CONTRACT §4)', () => {
  const insurer = { code: 'alfa', name: 'Альфа' };
  const at = '2030-01-01T00:00:00.000Z';

  it('carries the drivers and КТ\'s parts', async () => {
    const r = await run({ submit: [ACCEPTED], poll: [OFFER] });
    if (r.outcome.status !== 'offer') throw new Error(`expected an offer, got ${r.outcome.status}`);
    expect(quoteFromOutcome('app-1', insurer, r.outcome, at)).toStrictEqual({
      applicationId: 'app-1',
      insurer,
      at,
      status: 'offer',
      premium: 14202.27,
      offer: { id: 'OFF-1', validUntil: '2030-01-01T00:00:00.000Z', coefficients: COEFFICIENTS, drivers: DRIVERS, territory: TERRITORY },
    });
  });

  it('leaves territory out when the insurer does not state it; an unlimited policy lists no drivers', async () => {
    const { territory: _territory, ...bare } = { ...OFFER, drivers: [] };
    const r = await run({ submit: [ACCEPTED], poll: [bare] });
    expect(r.outcome).toStrictEqual({ status: 'offer', premium: 14202.27, offerId: 'OFF-1', validUntil: '2030-01-01T00:00:00.000Z', coefficients: COEFFICIENTS, drivers: [] });
    if (r.outcome.status !== 'offer') return;
    const quote = quoteFromOutcome('app-1', insurer, r.outcome, at);
    expect(quote.offer).toStrictEqual({ id: 'OFF-1', validUntil: '2030-01-01T00:00:00.000Z', coefficients: COEFFICIENTS, drivers: [] });
    expect(JSON.parse(JSON.stringify(quote)).offer).not.toHaveProperty('territory');
  });
});
