/**
 * Issue 5: a `429` with Retry-After from one insurer pauses every node's calls to it for that long.
 * The sandbox's `ratelimited` mode admits two calls a second and answers the rest `429` with
 * `Retry-After: 1`; its call counter, read every 25 ms, shows whether both workers held back after
 * each refusal (tight bursts, each followed by a second of silence) or kept calling. The quotes still end as the
 * insurer's answers, since the deadline leaves room for two calls a second.
 */
import { Cluster, postApplication, untilCompleted, type ApplicationView, type CallSample } from '../support/cluster';

const DEADLINE_MS = 20_000;
const LIMITED = 'lastochka'; // answers within 0.2 s at this scale: one create and one poll per quote
const APPLICATIONS = 10;
const STAGGER_MS = 400;
const RETRY_AFTER_MS = 1_000; // what the sandbox sends
// calls closer than this belong to one burst (both workers released by the same pause)
const BURST_GAP_MS = 400;
// how far apart both workers' calls at the end of one pause may land on a loaded machine, sampling
// included (about 50 ms here when idle); a worker pausing on its own is typically further out of step
const RELEASE_SPAN_MS = 300;

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ deadlineMs: DEADLINE_MS, latencyScale: 0.2 });
  await cluster.startNodes([
    { name: 'front', parts: ['gateway', 'applications', 'offers-stream'] },
    { name: 'worker-1', parts: ['insurers'] },
    { name: 'worker-2', parts: ['insurers'] },
  ]);
}, 90_000);

afterAll(() => cluster?.close(), 30_000);

interface Burst {
  calls: number;
  /** At most this long from its first call to its last. */
  spanAtMostMs: number;
  /** At most this long from its last call to the next burst's first (undefined for the last burst). */
  silenceAtMostMs?: number;
}

/** Groups the counter's increases into bursts, with bounds that sampling delays can only widen. */
function bursts(samples: CallSample[]): Burst[] {
  const rises = samples.map((_, i) => i).filter((i) => i > 0 && samples[i].calls > samples[i - 1].calls);
  const groups: number[][] = [];
  for (const i of rises) {
    const group = groups[groups.length - 1];
    const last = group?.[group.length - 1];
    // the silence since the group's last rise is at least samples[i-1].askedAt - samples[last].answeredAt
    if (group && samples[i - 1].askedAt - samples[last].answeredAt < BURST_GAP_MS) group.push(i);
    else groups.push([i]);
  }
  return groups.map((group, g) => {
    const first = group[0];
    const last = group[group.length - 1];
    const next = groups[g + 1]?.[0];
    return {
      calls: samples[last].calls - samples[first - 1].calls,
      spanAtMostMs: samples[last].answeredAt - samples[first - 1].askedAt,
      silenceAtMostMs: next === undefined ? undefined : samples[next].answeredAt - samples[last - 1].askedAt,
    };
  });
}

test("one insurer's 429 pauses both workers' calls to it for its Retry-After, and its quotes still end as offers", () => cluster.run(async () => {
  const front = cluster.node('front').url;
  const first = await postApplication(front);
  await untilCompleted([front], first.id, DEADLINE_MS + 5_000);
  await cluster.sandbox.setMode(LIMITED, 'ratelimited');

  const before = await cluster.sandbox.insurer(LIMITED);
  const sampler = cluster.sandbox.sampleCalls(LIMITED, 25);
  const created: Array<{ id: string }> = [];
  for (let i = 0; i < APPLICATIONS; i++) {
    created.push(await postApplication(front));
    // applications arriving one after another, so that quote loops (or workers) pausing on their own
    // would fall out of step and call inside each other's silences
    await new Promise((resolve) => setTimeout(resolve, STAGGER_MS));
  }
  const done: ApplicationView[] = [];
  for (const app of created) done.push(await untilCompleted([front], app.id, DEADLINE_MS + 5_000));
  const samples = await sampler.stop();
  const after = await cluster.sandbox.insurer(LIMITED);
  const records = await Promise.all(created.map(async (app) => (await cluster.sandbox.quotes(app.id)).find((r) => r.insurer === LIMITED)));
  // every call the sandbox counted but neither created nor polled was refused with a 429
  const admitted = after.creates - before.creates + after.duplicateCreates - before.duplicateCreates + records.reduce((n, r) => n + (r?.polls ?? 0), 0);
  const refusals = after.calls - before.calls - admitted;
  expect(refusals).toBeGreaterThanOrEqual(APPLICATIONS); // the scenario did meet the limit, often

  const found = bursts(samples);
  const summary = `${refusals} refused; ${found.map((b) => `${b.calls} calls in ≤${b.spanAtMostMs} ms, then ≤${b.silenceAtMostMs ?? '-'} ms`).join('; ')}`;
  // each burst after the first (which holds the calls before any 429) is one release of both
  // workers at the end of one pause, not calls trickling in
  expect(found.slice(1).every((b) => b.spanAtMostMs <= RELEASE_SPAN_MS) ? 'tight bursts' : summary).toBe('tight bursts');
  // once a burst has met a 429 nobody calls again for about the Retry-After, on either worker: a
  // worker pausing alone would leave the other's calls in the middle of the silence
  expect(found.length).toBeGreaterThanOrEqual(3);
  const tooSoon = found.filter((b) => b.silenceAtMostMs !== undefined && b.silenceAtMostMs < RETRY_AFTER_MS * 0.7);
  expect(tooSoon.length === 0 ? 'paused' : summary).toBe('paused');

  const notAsAnswered: string[] = [];
  done.forEach((app, n) => {
    const quote = app.quotes.find((q) => q.insurer.code === LIMITED);
    if (quote?.status !== records[n]?.outcome) notAsAnswered.push(`${quote?.status} (${quote?.reason}); the insurer: ${records[n]?.outcome ?? 'never created'}`);
  });
  expect(notAsAnswered).toEqual([]);
  expect(await cluster.sandbox.total('duplicateCreates')).toBe(0);
}));
