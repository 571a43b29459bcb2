/**
 * The real system against the real sandbox, one insurer switched into each of the sandbox's modes
 * (CONTRACT §6), the outcome read through the partner API (CONTRACT §2, §4).
 * Systems that trip a circuit are started fresh so breaker state cannot leak between tests.
 */
import { todayInMoscow } from '../../lib/dates';
import { computePremium, tariffInputFromApplication } from '../../lib/tariff';
import type { Quote } from '../../lib/quotes/types';
import { profileFor, underwrite } from '../../sandbox';
import { api, callsTo, eventually, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { sampleApplication } from '../unit/fixtures/application';

jest.setTimeout(30_000);

const SHOW_TIMINGS = Boolean(process.env.SHOW_TIMINGS);
const timings: string[] = [];
const note = (line: string) => timings.push(line);
afterAll(() => {
  if (SHOW_TIMINGS && timings.length) console.log(`insurer-modes timings:\n  ${timings.join('\n  ')}`);
});

/** The harness's system, with Moleculer's per-retry and "not available" warnings kept out of the output. */
function start(env: Record<string, string>): Promise<RunningSystem> {
  return startSystem({ env: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', ...env } });
}

const FINAL = ['offer', 'declined', 'failed', 'unavailable', 'timeout'];

interface Created {
  id: string;
  createdAt: string;
  deadline: string;
  insurers: Array<{ code: string; name: string }>;
}

interface InsurerStatus {
  code: string;
  state: 'closed' | 'open' | 'half-open';
  calls?: number;
  failures?: number;
}

const sample = () => sampleApplication(todayInMoscow());

async function apply(system: RunningSystem): Promise<Created> {
  const res = await api(system, 'POST', '/api/v1/applications', sample());
  expect(res.status).toBe(202);
  return res.json as Created;
}

/**
 * Applies once, only to learn the insurer list from the API, and waits that application out. Of
 * that list it picks an insurer the sandbox would quote for the sample (its only possible answer in
 * normal mode is an offer), the quickest to answer first: fewer polls, less noise.
 */
async function probeQuotingInsurer(system: RunningSystem): Promise<string> {
  const probe = await apply(system);
  const candidates = probe.insurers
    .map((i) => i.code)
    .filter((code) => underwrite(code, profileFor(code), sample()) === undefined)
    .sort((a, b) => profileFor(a).readyMs[1] - profileFor(b).readyMs[1]);
  if (candidates.length === 0) throw new Error('no insurer quotes the sample');
  await waitCompleted(system, probe.id);
  return candidates[0];
}

/**
 * Samples the sandbox's call counter for one insurer (in-process) until stopped: when each of its
 * calls arrived (±10 ms). The baseline is read before this returns, so no call made after is missed.
 */
function watchCalls(system: RunningSystem, code: string) {
  const arrivals: number[] = [];
  let last = callsTo(system, code);
  const take = () => {
    const calls = callsTo(system, code);
    const now = Date.now();
    for (let n = last; n < calls; n++) arrivals.push(now);
    last = calls;
  };
  const timer = setInterval(take, 10);
  return {
    stop() {
      clearInterval(timer);
      take();
      return arrivals;
    },
  };
}

/** The most calls that arrived within any one-second span. */
function busiestSecond(arrivals: number[]): number {
  let most = 0;
  for (let i = 0; i < arrivals.length; i++) {
    let j = i;
    while (j < arrivals.length && arrivals[j] - arrivals[i] < 1_000) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

async function insurerStatus(system: RunningSystem, code: string): Promise<InsurerStatus> {
  const res = await api(system, 'GET', '/api/v1/insurers');
  expect(res.status).toBe(200);
  const entry = (res.json as unknown as InsurerStatus[]).find((i) => i.code === code);
  if (!entry) throw new Error(`GET /insurers lacks ${code}`);
  return entry;
}

interface ApplicationView {
  status: string;
  createdAt: string;
  deadline: string;
  completedAt?: string;
  quotes: Quote[];
}

async function getApplication(system: RunningSystem, id: string): Promise<ApplicationView> {
  const res = await api(system, 'GET', `/api/v1/applications/${id}`);
  expect(res.status).toBe(200);
  return res.json as ApplicationView;
}

async function completed(system: RunningSystem, id: string, timeoutMs?: number): Promise<ApplicationView & { completedAt: string }> {
  return (await waitCompleted(system, id, timeoutMs)) as ApplicationView & { completedAt: string };
}

/** The insurer's quote once it is final (polling the partner API). */
async function finalQuote(system: RunningSystem, id: string, code: string, timeoutMs = 15_000): Promise<Quote> {
  return eventually(async () => {
    const quote = (await getApplication(system, id)).quotes.find((q) => q.insurer.code === code);
    return quote && FINAL.includes(quote.status) ? quote : undefined;
  }, timeoutMs, 20);
}

const quoteOf = (app: ApplicationView, code: string) => {
  const quote = app.quotes.find((q) => q.insurer.code === code);
  if (!quote) throw new Error(`no quote of ${code}`);
  return quote;
};
const sinceCreated = (created: { createdAt: string }, iso: string) => Date.parse(iso) - Date.parse(created.createdAt);

describe('normal and slow insurers', () => {
  const DEADLINE = 4_000;
  let system: RunningSystem;
  beforeAll(async () => {
    system = await start({ QUOTE_DEADLINE_MS: String(DEADLINE) });
  });
  afterAll(() => system?.stop());
  beforeEach(() => system.sandbox.reset());

  it('normal: every insurer answers, and each offer is the tariff formula with the insurer’s base rate', async () => {
    const created = await apply(system);
    expect(created.insurers.length).toBeGreaterThanOrEqual(5);
    const done = await completed(system, created.id);
    note(`normal: completed ${sinceCreated(created, done.completedAt)} ms after creation`);
    expect(Date.parse(done.completedAt)).toBeLessThan(Date.parse(created.deadline));

    const quotes = done.quotes;
    expect(quotes.map((q) => q.insurer.code).sort()).toEqual(created.insurers.map((i) => i.code).sort());
    const application = sample();
    let offers = 0;
    for (const quote of quotes) {
      // in normal mode an insurer either prices the sample or refuses it by its own underwriting
      const expected = underwrite(quote.insurer.code, profileFor(quote.insurer.code), application) ? 'declined' : 'offer';
      expect({ code: quote.insurer.code, status: quote.status }).toEqual({ code: quote.insurer.code, status: expected });
      if (quote.status !== 'offer') {
        expect(quote.reason).toEqual(expect.any(String));
        continue;
      }
      offers += 1;
      const c = quote.offer?.coefficients;
      if (!c) throw new Error(`${quote.insurer.code}: offer without coefficients`);
      const tariff = computePremium(tariffInputFromApplication(application, c.tb), application.policy.startDate);
      expect({ code: quote.insurer.code, coefficients: c }).toEqual({ code: quote.insurer.code, coefficients: tariff.coefficients });
      expect({ code: quote.insurer.code, premium: quote.premium }).toEqual({ code: quote.insurer.code, premium: tariff.premium });
      // premium = the product of the coefficients, to the kopeck
      const product = c.tb * c.kt * c.kbm * c.kvs * c.ko * c.km * c.ks * c.kn * c.kpr;
      expect(Math.abs((quote.premium as number) - product)).toBeLessThanOrEqual(0.005 + 1e-6);
      expect(Math.round((quote.premium as number) * 100) / 100).toBe(quote.premium);
    }
    expect(offers).toBeGreaterThanOrEqual(5);
    expect(new Set(quotes.filter((q) => q.status === 'offer').map((q) => q.offer?.coefficients.tb)).size).toBeGreaterThan(1);
  });

  it('slow: the insurer’s quote is `timeout`, and `completed` comes at the deadline, not before nor much after', async () => {
    const code = await probeQuotingInsurer(system);
    system.sandbox.setMode(code, 'slow');

    const created = await apply(system);
    const done = await completed(system, created.id, DEADLINE + 5_000);
    const late = Date.parse(done.completedAt) - Date.parse(created.deadline);
    note(`slow (${code}): completedAt − deadline = ${late} ms`);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(1_000);

    const quote = quoteOf(done, code);
    expect(quote.status).toBe('timeout');
    expect(quote.reason).toEqual(expect.any(String));
    expect(quote.reason?.length).toBeGreaterThan(0);
    expect(quote.premium).toBeUndefined();
    // the others were not held back by it
    for (const q of done.quotes) if (q.insurer.code !== code) expect(FINAL).toContain(q.status);
    expect(done.quotes.filter((q) => q.status === 'timeout').map((q) => q.insurer.code)).toEqual([code]);

    // nobody keeps polling it once the deadline has passed
    const calls = callsTo(system, code);
    await new Promise((r) => setTimeout(r, 300));
    expect(callsTo(system, code)).toBe(calls);
  });
});

describe('down insurer: the circuit opens, refuses at once, and closes again', () => {
  const DEADLINE = 4_000;
  const HALF_OPEN = 1_500;
  let system: RunningSystem;
  beforeAll(async () => {
    system = await start({ QUOTE_DEADLINE_MS: String(DEADLINE), CIRCUIT_MIN_REQUESTS: '3', CIRCUIT_HALF_OPEN_MS: String(HALF_OPEN) });
  });
  afterAll(() => system?.stop());

  it('fails fast, opens, answers `unavailable` without calling it, then recovers', async () => {
    system.sandbox.reset();
    const code = await probeQuotingInsurer(system);
    expect((await insurerStatus(system, code)).state).toBe('closed');

    system.sandbox.setMode(code, 'down');
    const batch = await Promise.all([apply(system), apply(system), apply(system)]);

    // the circuit opens: the gateway shows it
    await eventually(async () => ((await insurerStatus(system, code)).state === 'open' ? true : undefined), 5_000, 20);

    // the batch's quotes ended failed/unavailable well before the deadline
    for (const created of batch) {
      const quote = await finalQuote(system, created.id, code, DEADLINE + 2_000);
      const after = sinceCreated(created, quote.at);
      note(`down (${code}): batch quote ${quote.status} after ${after} ms`);
      expect(['failed', 'unavailable']).toContain(quote.status);
      expect(after).toBeLessThan(DEADLINE - 1_500);
    }
    // counted once the batch is over: a retry sent just before the circuit opened can reach the
    // insurer after the gateway already shows it open
    const callsWhenOpen = callsTo(system, code);
    expect((await insurerStatus(system, code)).state).toBe('open');

    // the next application is refused at once, without an HTTP call to the insurer
    const refused = await apply(system);
    const refusedQuote = await finalQuote(system, refused.id, code, 5_000);
    note(`down (${code}): next application's quote ${refusedQuote.status} ${sinceCreated(refused, refusedQuote.at)} ms after creation`);
    expect(refusedQuote.status).toBe('unavailable');
    // at once: asking it would have meant a 503 and its one-second Retry-After first
    expect(sinceCreated(refused, refusedQuote.at)).toBeLessThan(1_000);
    expect(refusedQuote.reason).toEqual(expect.any(String));
    expect(callsTo(system, code)).toBe(callsWhenOpen);

    // back to normal: after the half-open time one application gets through and closes the circuit
    system.sandbox.setMode(code, 'normal');
    await eventually(async () => ((await insurerStatus(system, code)).state === 'half-open' ? true : undefined), HALF_OPEN + 2_000, 50);
    const recovered = await apply(system);
    const recoveredQuote = await finalQuote(system, recovered.id, code);
    expect(recoveredQuote.status).toBe('offer');
    expect(callsTo(system, code)).toBeGreaterThan(callsWhenOpen);
    await eventually(async () => ((await insurerStatus(system, code)).state === 'closed' ? true : undefined), 5_000, 20);

    const again = await apply(system);
    expect((await finalQuote(system, again.id, code)).status).toBe('offer');
    expect((await insurerStatus(system, code)).state).toBe('closed');
    for (const created of [...batch, refused, recovered, again]) await waitCompleted(system, created.id, DEADLINE + 2_000);
  });
});

describe('flaky insurer', () => {
  const DEADLINE = 8_000;
  let system: RunningSystem;
  beforeAll(async () => {
    // the production breaker settings (CIRCUIT_MIN_REQUESTS 10, threshold 0.5): a flaky insurer must live with them
    system = await start({ QUOTE_DEADLINE_MS: String(DEADLINE) });
  });
  afterAll(() => system?.stop());

  it('retries hide its failures: most quotes are offers, and it was called more often than it answered', async () => {
    system.sandbox.reset();
    const code = await probeQuotingInsurer(system);
    const before = await insurerStatus(system, code);
    const callsBefore = callsTo(system, code);

    system.sandbox.setMode(code, 'flaky');
    const apps: Created[] = [];
    for (let i = 0; i < 16; i++) apps.push(await apply(system));
    const quotes = await Promise.all(apps.map((a) => finalQuote(system, a.id, code, DEADLINE + 3_000)));
    const statuses = quotes.map((q) => q.status);
    const after = await insurerStatus(system, code);
    const calls = callsTo(system, code) - callsBefore;
    const failures = (after.failures ?? 0) - (before.failures ?? 0);
    const answered = (after.calls ?? 0) - (before.calls ?? 0) - failures;
    note(
      `flaky (${code}): ${quotes.map((q) => q.status + (q.reason ? ` (${q.reason})` : '')).join(', ')}; ` +
        `sandbox calls ${calls}, answered ${answered}, failed ${failures}; circuit ${after.state}`,
    );

    // retries really happened: more calls reached the insurer than it answered
    expect(failures).toBeGreaterThan(0);
    expect(calls).toBeGreaterThan(answered);
    // Each call gets three attempts (1 + 2 retries), so ~88 % of calls succeed in the end: the
    // insurer is usable, and its quotes must be offers rather than refused by an open circuit.
    const offers = statuses.filter((s) => s === 'offer').length;
    expect({
      offers: offers > apps.length / 2 ? 'most' : `${offers} of ${apps.length}`,
      unavailable: statuses.filter((s) => s === 'unavailable').length,
      circuit: after.state,
    }).toEqual({ offers: 'most', unavailable: 0, circuit: 'closed' });
    for (const a of apps) await waitCompleted(system, a.id, DEADLINE + 3_000);
  });
});

describe('rate-limited insurer', () => {
  const DEADLINE = 8_000;
  let system: RunningSystem;
  beforeEach(async () => {
    // fresh each time: 429s reach the circuit breaker, whose state must not leak from one test to the next
    system = await start({ QUOTE_DEADLINE_MS: String(DEADLINE) });
  });
  afterEach(() => system?.stop());

  /** `size` applications at once while the insurer allows two calls a second. */
  async function burst(size: number) {
    const code = await probeQuotingInsurer(system);
    const callsBefore = callsTo(system, code);

    system.sandbox.setMode(code, 'ratelimited');
    const watch = watchCalls(system, code);
    const started = Date.now();
    const apps = await Promise.all(Array.from({ length: size }, () => apply(system)));
    const quotes = await Promise.all(apps.map((a) => finalQuote(system, a.id, code, DEADLINE + 3_000)));
    const arrivals = watch.stop();
    const tookMs = quotes.map((q, i) => sinceCreated(apps[i], q.at));
    const calls = callsTo(system, code) - callsBefore;
    const status = await insurerStatus(system, code);
    note(
      `ratelimited (${code}) ×${size}: ${quotes.map((q) => q.status + (q.reason ? ` (${q.reason})` : '')).join(', ')} after ${tookMs.join(', ')} ms; ` +
        `${calls} calls (${status.failures ?? 0} answered 429) at +${arrivals.map((t) => t - started).join(', +')} ms; ` +
        `busiest second ${busiestSecond(arrivals)}; circuit then ${status.state}`,
    );
    for (const a of apps) await waitCompleted(system, a.id, DEADLINE + 3_000);
    return { code, quotes, tookMs, calls, arrivals, state: status.state };
  }

  it('honours Retry-After: its quotes still end in offers, paced at about a second, without hammering it', async () => {
    const { quotes, tookMs, calls, arrivals } = await burst(3);
    for (const q of quotes) expect(['offer', 'timeout']).toContain(q.status);
    expect(quotes.filter((q) => q.status === 'offer').length).toBeGreaterThanOrEqual(2);
    // three applications need at least six answered calls at two a second: Retry-After was waited out
    expect(calls).toBeGreaterThanOrEqual(6);
    expect(Math.max(...tookMs)).toBeGreaterThanOrEqual(950);
    // no hammering: few calls in all, and never more than a handful in any second
    expect(calls).toBeLessThan(30);
    expect(busiestSecond(arrivals)).toBeLessThanOrEqual(10);
  });

  it('is not cut off for asking us to slow down: a busier burst leaves its circuit closed and the next application is quoted', async () => {
    const { code, quotes, state } = await burst(6);
    // A 429 with Retry-After is the insurer pacing us, not failing. Counted as a breaker failure it
    // opens the circuit, and `unavailable` ("the system did not ask the insurer", CONTRACT §4)
    // follows for applications the insurer would have priced a second later.
    expect({ state, unavailable: quotes.filter((q) => q.status === 'unavailable').length }).toEqual({ state: 'closed', unavailable: 0 });
    const next = await apply(system);
    const quote = await finalQuote(system, next.id, code, DEADLINE + 3_000);
    note(`ratelimited (${code}): the next application got ${quote.status} after ${sinceCreated(next, quote.at)} ms`);
    expect(['offer', 'timeout']).toContain(quote.status);
    await waitCompleted(system, next.id, DEADLINE + 3_000);
  });
});
