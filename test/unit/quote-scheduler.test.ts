/**
 * The scheduler that drives many quotes of one insurer, on a virtual clock whose timers the test
 * fires itself: the waiting quotes share one timer, each is polled at its own time, a stop wakes
 * them all, and a fault in one quote's own steps touches no other.
 */
import type { CreateOutcome, PollOutcome } from '../../lib/insurers/adapter';
import { QuoteMachine, type LoopOutcome, type QuoteEnv } from '../../lib/insurers/quote-loop';
import { QuoteScheduler, type QuoteSchedulerDeps } from '../../lib/insurers/quote-scheduler';

const START = 1_800_000_000_000;
const OFFER: PollOutcome = {
  kind: 'offer',
  premium: 9_000,
  offerId: 'OFF',
  validUntil: '2030-01-01T00:00:00.000Z',
  coefficients: { tb: 7000, kt: 1.8, kbm: 0.83, kvs: 0.97, ko: 1, km: 1.4, ks: 1, kn: 1, kpr: 1 },
  drivers: [],
};

interface Job {
  id: number;
  readyAtMs: number; // virtual, relative to START
  hintMs: number;
}

class VirtualClock {
  now = START;
  private timers: Array<{ at: number; ms: number; fire: () => void; cancelled: boolean }> = [];
  armedAtOnce = 0; // the most timers ever waiting together

  timer = (ms: number, fire: () => void) => {
    const t = { at: this.now + ms, ms, fire, cancelled: false };
    this.timers.push(t);
    this.armedAtOnce = Math.max(this.armedAtOnce, this.timers.filter((x) => !x.cancelled).length);
    return () => void (t.cancelled = true);
  };

  /** Fires timers in time order until none is left, letting promises settle after each; `early` fires each longer one that much before its time. */
  async run(early = 0, untilMs = Infinity): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      this.timers = this.timers.filter((t) => !t.cancelled);
      if (this.timers.length === 0) return;
      this.timers.sort((a, b) => a.at - b.at);
      if (this.timers[0].at > START + untilMs) return;
      const next = this.timers.shift()!;
      this.now = Math.max(this.now, next.at - (next.ms > early ? early : 0));
      next.fire();
    }
  }
}

function setup(overrides: Partial<QuoteSchedulerDeps<Job>> = {}, interrupted = () => false, clock = new VirtualClock()) {
  const polls: Array<{ id: number; at: number }> = [];
  const finished = new Map<number, { outcome: LoopOutcome; at: number }>();
  const broken: Array<{ id: number; err: unknown }> = [];
  const env: QuoteEnv = {
    settings: { pollScheduleMs: [500], throttledRetries: 3, maxRetryAfterMs: 10_000, maxPollFailures: 3 },
    now: () => clock.now,
    circuitOpen: () => false,
    interrupted,
    admits: true,
  };
  const scheduler = new QuoteScheduler<Job>({
    now: () => clock.now,
    timer: clock.timer,
    admission: () => 0,
    submit: async (job): Promise<CreateOutcome> => ({ kind: 'accepted', externalId: `q${job.id}`, retryAfterMs: job.hintMs }),
    poll: async (job): Promise<PollOutcome> => {
      polls.push({ id: job.id, at: clock.now - START });
      const remaining = START + job.readyAtMs - clock.now;
      return remaining > 0 ? { kind: 'processing', retryAfterMs: Math.min(remaining, job.hintMs) } : OFFER;
    },
    created: () => undefined,
    finished: (job, outcome) => void finished.set(job.id, { outcome, at: clock.now - START }),
    broke: (job, err) => void broken.push({ id: job.id, err }),
    ...overrides,
  });
  const start = (job: Job, deadlineInMs = 60_000) => scheduler.start(job, new QuoteMachine(env, START + deadlineInMs, undefined));
  return { clock, scheduler, polls, finished, broken, start };
}

test('many quotes wait under one timer, each polled at its own hints and done when its answer is ready', async () => {
  const s = setup();
  const jobs: Job[] = Array.from({ length: 200 }, (_, i) => ({ id: i, readyAtMs: 1_000 + ((i * 7919) % 20_000), hintMs: 500 + (i % 5) * 500 }));
  for (const job of jobs) s.start(job);
  await s.clock.run();
  expect(s.clock.armedAtOnce).toBe(1);
  expect(s.finished.size).toBe(200);
  for (const job of jobs) {
    expect(s.finished.get(job.id)).toEqual({ outcome: expect.objectContaining({ status: 'offer' }), at: Math.max(job.readyAtMs, job.hintMs) });
    const mine = s.polls.filter((p) => p.id === job.id).map((p) => p.at);
    // every poll at the last hint: the create's, then "not yet" every hint, then the exact remainder
    const expected: number[] = [];
    for (let at = job.hintMs; ; at = Math.min(at + job.hintMs, job.readyAtMs)) {
      expected.push(at);
      if (at >= job.readyAtMs) break;
    }
    expect(mine).toEqual(expected);
  }
  expect(s.scheduler.waiting).toBe(0);
});

test('quotes due at the same moment go in the order they came', async () => {
  const s = setup();
  for (let id = 0; id < 50; id++) s.start({ id, readyAtMs: 1_000, hintMs: 1_000 });
  await s.clock.run();
  expect(s.polls.map((p) => p.id)).toEqual(Array.from({ length: 50 }, (_, i) => i));
});

test('a timer that fires early wakes no quote before its time', async () => {
  const s = setup();
  for (let id = 0; id < 20; id++) s.start({ id, readyAtMs: 3_000 + id * 10, hintMs: 1_000 });
  await s.clock.run(1);
  for (let id = 0; id < 20; id++) {
    const mine = s.polls.filter((p) => p.id === id).map((p) => p.at);
    expect(mine).toEqual([1_000, 2_000, 3_000, 3_000 + id * 10].filter((at, i, all) => all.indexOf(at) === i));
  }
});

test('a stop wakes every waiting quote at once, and each ends interrupted without another call', async () => {
  let stopping = false;
  const s = setup({}, () => stopping);
  for (let id = 0; id < 30; id++) s.start({ id, readyAtMs: 50_000, hintMs: 5_000 });
  await new Promise((resolve) => setImmediate(resolve)); // the creates are answered; every quote waits
  expect(s.scheduler.waiting).toBe(30);
  stopping = true;
  s.scheduler.wakeAll();
  expect(s.finished.size).toBe(30);
  for (const { outcome, at } of s.finished.values()) expect({ outcome, at }).toEqual({ outcome: { status: 'interrupted' }, at: 0 });
  expect(s.polls).toEqual([]);
  expect(s.scheduler.waiting).toBe(0);
  await s.clock.run(); // no timer is left to fire anything
  expect(s.polls).toEqual([]);
});

test('a fault in our own step (admission, the create record) drops that quote alone; an insurer call that throws is judged as a failed call', async () => {
  const s = setup({
    admission: (job) => {
      if (job.id === 1) throw new Error('limiter broke');
      return job.id === 2 ? Promise.reject(new Error('limiter rejected')) : 0;
    },
    created: (job) => (job.id === 3 ? Promise.reject(new Error('progress store down')) : undefined),
    submit: (job) => {
      if (job.id === 4) throw new Error('no connection');
      return Promise.resolve({ kind: 'accepted', externalId: `q${job.id}`, retryAfterMs: 1_000 });
    },
  });
  for (let id = 0; id < 5; id++) s.start({ id, readyAtMs: 2_000, hintMs: 1_000 });
  await s.clock.run();
  expect(s.broken.map((b) => [b.id, (b.err as Error).message])).toEqual([
    [1, 'limiter broke'],
    [2, 'limiter rejected'],
    [3, 'progress store down'],
  ]);
  expect(s.finished.get(0)?.outcome).toMatchObject({ status: 'offer' });
  expect(s.finished.get(4)?.outcome).toMatchObject({ status: 'failed', cause: 'no connection' });
  expect(s.finished.size).toBe(2);
});

test('a quote whose deadline comes before its answer ends at the deadline, and no poll comes after it', async () => {
  const s = setup();
  s.start({ id: 0, readyAtMs: 90_000, hintMs: 7_000 }, 30_000);
  await s.clock.run();
  expect(s.finished.get(0)?.outcome).toEqual({ status: 'deadline' });
  expect(Math.max(...s.polls.map((p) => p.at))).toBeLessThan(30_000);
});

test('at most `concurrency` quotes are in a call or its admission; the rest wait their turn in order, and an admission wait gives the slot back', async () => {
  let inCalls = 0;
  let most = 0;
  const firstCalls: number[] = [];
  const clock = new VirtualClock();
  let admissions = 0;
  const s = setup({
    concurrency: 3,
    admission: () => (++admissions % 4 === 0 ? 700 : 0), // every fourth is told to wait
    submit: (job) => {
      firstCalls.push(job.id);
      inCalls++;
      most = Math.max(most, inCalls);
      return new Promise((resolve) => clock.timer(100, () => {
        inCalls--;
        resolve({ kind: 'accepted', externalId: `q${job.id}`, retryAfterMs: job.hintMs });
      }));
    },
  }, () => false, clock);
  for (let id = 0; id < 20; id++) s.start({ id, readyAtMs: 5_000, hintMs: 1_000 });
  expect(s.scheduler.calling).toBe(3);
  expect(s.scheduler.queuedForSlot).toBe(17);
  await clock.run(0, 150); // the first three answered; the fourth in line was told to wait 700 ms
  expect(inCalls).toBe(3); // its slot went to the next three, not kept through the wait
  await clock.run();
  expect(most).toBe(3);
  expect(s.finished.size).toBe(20);
  expect(s.scheduler.calling).toBe(0);
  // the first three went first; the one told to wait let the next in line go before it
  expect(firstCalls.slice(0, 6)).toEqual([0, 1, 2, 4, 5, 6]);
  expect(new Set(firstCalls).size).toBe(20);
});

test('a call answered after the stop ends its quote at once: no wait begins once the node is stopping', async () => {
  let stopping = false;
  let answer: (() => void) | undefined;
  const s = setup({
    poll: () => new Promise<PollOutcome>((resolve) => (answer = () => resolve({ kind: 'processing', retryAfterMs: 5_000 }))),
  }, () => stopping);
  s.start({ id: 0, readyAtMs: 50_000, hintMs: 1_000 });
  await s.clock.run(0, 1_000); // the first poll is out
  expect(answer).toBeDefined();
  stopping = true;
  s.scheduler.wakeAll();
  answer?.();
  await new Promise((resolve) => setImmediate(resolve));
  expect(s.finished.get(0)?.outcome).toEqual({ status: 'interrupted' });
  expect(s.scheduler.waiting).toBe(0);
});

test('thousands of quotes queued for one slot behind a synchronous admission that says wait do not recurse', async () => {
  let calls = 0;
  // the first quote's create holds the only slot while the rest queue; then each of them is told to wait
  const s = setup({ concurrency: 1, admission: () => (calls++ === 0 || calls > 20_000 ? 0 : 100) });
  for (let id = 0; id < 20_000; id++) s.start({ id, readyAtMs: 500, hintMs: 1_000 });
  expect(s.broken).toEqual([]);
  await s.clock.run();
  expect(s.finished.size).toBe(20_000);
});
