/**
 * Issue 5: an insurer worker stopped with SIGTERM while its quotes are in flight hands them back at
 * once. It exits within 15 s; the other worker continues its quotes within about a second of the
 * moment each answer could be had, so they end as the insurer's answer (not `timeout`), and no
 * insurer is asked to create a quote twice.
 */
import { Cluster, isFinal, postApplication, untilCompleted, within, type ApplicationView, type SandboxQuote } from '../support/cluster';
import { eventually } from '../support/wait';

const DEADLINE_MS = 20_000;
const APPLICATIONS = 16;
const EXIT_LIMIT_MS = 15_000;
// "within about a second" from the moment the answer could be had, with room for a loaded two-core
// machine; quotes left to a redelivery on ack timeout (a SIGKILL) show 2.5–3.5 s here
const CONTINUATION_LIMIT_MS = 1_500;

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

test('a worker stopped with SIGTERM: exits within 15 s, its quotes go on at once elsewhere, no second create', () => cluster.run(async () => {
  const front = cluster.node('front').url;
  const first = await postApplication(front);
  await untilCompleted([front], first.id, DEADLINE_MS + 5_000);
  const insurerCount = (await cluster.sandbox.quotes(first.id)).length;

  const applications = await Promise.all(Array.from({ length: APPLICATIONS }, () => postApplication(front)));
  let records: SandboxQuote[][] = [];
  await eventually(async () => {
    records = await Promise.all(applications.map((a) => cluster.sandbox.quotes(a.id)));
    return records.every((r) => r.length === insurerCount) ? true : undefined;
  }, 15_000, 100, () => 'the creates did not all reach the sandbox');

  const stoppedAt = Date.now();
  const exited = cluster.node('worker-1').signal('SIGTERM');
  const notReady = records.flat().filter((r) => Date.parse(r.readyAt) > stoppedAt);
  expect(notReady.length).toBeGreaterThan(APPLICATIONS * insurerCount * 0.2);

  const exit = await within(exited, EXIT_LIMIT_MS, 'still running');
  expect(exit).toEqual({ code: 0, signal: null });
  const exitedAfterMs = Date.now() - stoppedAt;
  expect(exitedAfterMs).toBeLessThanOrEqual(EXIT_LIMIT_MS);

  const done: ApplicationView[] = [];
  for (const a of applications) done.push(await untilCompleted([front], a.id, DEADLINE_MS + 10_000));
  records = await Promise.all(applications.map((a) => cluster.sandbox.quotes(a.id)));

  const late: string[] = [];
  const wrong: string[] = [];
  let continued = 0;
  done.forEach((app, n) => {
    for (const quote of app.quotes) {
      const record = records[n].find((r) => r.insurer === quote.insurer.code);
      if (!record) throw new Error(`the sandbox has no record of ${quote.insurer.code} for ${app.id}`);
      const readyAt = Date.parse(record.readyAt);
      if (!isFinal(quote)) wrong.push(`${quote.insurer.code} still ${quote.status}`);
      if (quote.status !== record.outcome) wrong.push(`${quote.insurer.code} ${quote.status}, the insurer said ${record.outcome}`);
      // in flight at the SIGTERM, and due soon enough that a slow takeover would show
      if (readyAt > stoppedAt - 1_000 && readyAt < stoppedAt + 5_000 && quote.status === record.outcome) {
        continued += 1;
        const lagMs = Date.parse(quote.at) - Math.max(readyAt, stoppedAt);
        if (lagMs > CONTINUATION_LIMIT_MS) late.push(`${quote.insurer.code} ${lagMs} ms`);
      }
    }
  });
  expect(wrong).toEqual([]);
  expect(continued).toBeGreaterThan(10);
  expect(late).toEqual([]);

  expect(await cluster.sandbox.total('duplicateCreates')).toBe(0);
  expect(await cluster.sandbox.total('creates')).toBe((APPLICATIONS + 1) * insurerCount);
}));
