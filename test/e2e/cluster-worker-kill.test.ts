/**
 * Issue 5: an insurer worker SIGKILLed with 30+ applications in flight, after their creates went
 * out and while the insurers are still being polled. The other worker takes its quotes over: every
 * application completes, at most 5 % of the quotes end `timeout`, nothing is created twice at an
 * insurer, and no client is sent a quote state twice (clients on both gateways).
 */
import { Cluster, expectAtMost, isFinal, postApplication, tally, untilCompleted, type QuoteWatcher, type SandboxQuote } from '../support/cluster';
import { eventually } from '../support/wait';

const DEADLINE_MS = 20_000;
const CLIENTS_PER_GATEWAY = 2;
const APPLICATIONS_PER_CLIENT = 8;
const MAX_TIMEOUT_SHARE = 0.05;

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ deadlineMs: DEADLINE_MS, latencyScale: 0.2 });
  await cluster.startNodes([
    { name: 'gateway-a', parts: ['gateway'] },
    { name: 'gateway-b', parts: ['gateway'] },
    { name: 'applications', parts: ['applications'] },
    { name: 'offers', parts: ['offers-stream'] },
    { name: 'worker-1', parts: ['insurers'] },
    { name: 'worker-2', parts: ['insurers'] },
  ]);
}, 90_000);

afterAll(() => cluster?.close(), 30_000);

test('a worker SIGKILLed mid-flight: its quotes are taken over, not timed out, created once, pushed once', () => cluster.run(async () => {
  const gateways = [cluster.node('gateway-a').url, cluster.node('gateway-b').url];
  // one application end to end first: the cluster is wired up, and it names the insurers asked
  const first = await postApplication(gateways[0]);
  await untilCompleted(gateways, first.id, DEADLINE_MS + 5_000);
  const insurerCount = (await cluster.sandbox.quotes(first.id)).length;
  expect(insurerCount).toBeGreaterThanOrEqual(8);

  const clients: QuoteWatcher[] = [];
  for (const url of gateways) for (let i = 0; i < CLIENTS_PER_GATEWAY; i++) clients.push(await cluster.watcher([url]));
  const applied = await Promise.all(clients.map(async (client) => {
    const acks = await Promise.all(Array.from({ length: APPLICATIONS_PER_CLIENT }, () => client.apply()));
    return acks.map((ack) => {
      if (!ack.ok || !ack.id) throw new Error(`apply refused: ${JSON.stringify(ack)}`);
      return { client, id: ack.id, deadline: Date.parse(ack.deadline ?? '') };
    });
  }));
  const applications = applied.flat();
  expect(applications.length).toBeGreaterThanOrEqual(30);

  // every create has reached its insurer, and a good part of the answers are not ready yet
  let records: SandboxQuote[][] = [];
  await eventually(async () => {
    records = await Promise.all(applications.map((a) => cluster.sandbox.quotes(a.id)));
    return records.every((r) => r.length === insurerCount) ? true : undefined;
  }, 15_000, 100, () => `${records.filter((r) => r.length === insurerCount).length}/${applications.length} applications have all their creates at the sandbox`);
  // and every insurer's answer to its create is recorded where the other worker will look: a create
  // still in flight at the kill is repeated (README, known limits), which is not what this test is about
  await cluster.untilProgressRecorded(records.map((r, i) => ({ applicationId: applications[i].id, insurers: r.map((q) => q.insurer) })));
  const totalQuotes = applications.length * insurerCount;
  const notReady = records.flat().filter((r) => Date.parse(r.readyAt) > Date.now()).length;
  expect(notReady).toBeGreaterThan(totalQuotes * 0.2);

  const killed = await cluster.node('worker-1').kill('SIGKILL');
  expect(killed.signal).toBe('SIGKILL');

  for (const a of applications) {
    await eventually(() => (a.client.completedCount(a.id) > 0 ? true : undefined), DEADLINE_MS + 10_000, 100,
      () => `application ${a.id} not completed at its client; live states: ${a.client.events(a.id, 'quote').map((r) => `${r.data.insurer.code}=${r.data.status}`).join(' ')}\n${cluster.describe()}`);
  }
  // a late duplicate (a redelivered quote, the deadline sweep) would come by the deadline plus a second
  const lastDeadline = Math.max(...applications.map((a) => a.deadline));
  await eventually(() => (Date.now() > lastDeadline + 1_500 ? true : undefined), DEADLINE_MS + 5_000, 200);

  const finalQuotes = applications.flatMap((a) => a.client.completedQuotes(a.id) ?? []);
  expect(finalQuotes).toHaveLength(totalQuotes);
  const timedOut = finalQuotes.filter((q) => q.status === 'timeout').map((q) => q.insurer.code);
  expectAtMost(timedOut.length, Math.floor(totalQuotes * MAX_TIMEOUT_SHARE), `quotes timed out of ${totalQuotes} (${tally(timedOut)})`);

  for (const a of applications) {
    expect(a.client.completedCount(a.id)).toBe(1);
    // each insurer's final state reached the client live, once
    const liveFinals = a.client.events(a.id, 'quote').filter((r) => isFinal(r.data)).map((r) => `${r.data.insurer.code}=${r.data.status}`).sort();
    const completedFinals = (a.client.completedQuotes(a.id) ?? []).map((q) => `${q.insurer.code}=${q.status}`).sort();
    expect({ application: a.id, live: liveFinals }).toEqual({ application: a.id, live: completedFinals });
  }
  expect(clients.flatMap((c) => c.repeatedStates())).toEqual([]);

  expect(await cluster.sandbox.total('duplicateCreates')).toBe(0);
  expect(await cluster.sandbox.total('creates')).toBe((applications.length + 1) * insurerCount);
}));

