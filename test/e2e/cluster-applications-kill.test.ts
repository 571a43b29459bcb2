/**
 * Issue 5: two `applications` nodes sharing one PostgreSQL database; one is SIGKILLed while its
 * applications are half quoted. The other finishes them: every application completes, its client
 * is sent `completed` once, and no answer an insurer gave in time is lost to a `timeout`.
 */
import { Cluster, isFinal, lostAnswers, postApplication, untilCompleted, type QuoteWatcher } from '../support/cluster';
import { eventually } from '../support/wait';

const DEADLINE_MS = 15_000;
const APPLICATIONS_PER_CLIENT = 6;

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ deadlineMs: DEADLINE_MS, latencyScale: 0.2 });
  await cluster.startNodes([
    { name: 'gateway-a', parts: ['gateway'] },
    { name: 'gateway-b', parts: ['gateway'] },
    { name: 'applications-1', parts: ['applications'] },
    { name: 'applications-2', parts: ['applications'] },
    { name: 'offers', parts: ['offers-stream'] },
    { name: 'worker', parts: ['insurers'] },
  ]);
}, 90_000);

afterAll(() => cluster?.close(), 30_000);

test('an applications node SIGKILLed mid-flight: the other completes every application, once', () => cluster.run(async () => {
  const gateways = [cluster.node('gateway-a').url, cluster.node('gateway-b').url];
  const first = await postApplication(gateways[0]);
  await untilCompleted(gateways, first.id, DEADLINE_MS + 5_000);

  const clients: QuoteWatcher[] = [];
  for (const url of [...gateways, ...gateways]) clients.push(await cluster.watcher([url]));
  const applications = (await Promise.all(clients.map(async (client) => {
    const acks = await Promise.all(Array.from({ length: APPLICATIONS_PER_CLIENT }, () => client.apply()));
    return acks.map((ack) => {
      if (!ack.ok || !ack.id) throw new Error(`apply refused: ${JSON.stringify(ack)}`);
      return { client, id: ack.id, deadline: Date.parse(ack.deadline ?? '') };
    });
  }))).flat();

  // half quoted: a good share of the answers recorded and pushed, a good share still to come
  const insurerCount = (await cluster.sandbox.quotes(first.id)).length;
  const total = applications.length * insurerCount;
  const finalsSoFar = () => applications.reduce((n, a) => n + a.client.events(a.id, 'quote').filter((r) => isFinal(r.data)).length, 0);
  await eventually(() => (finalsSoFar() >= total * 0.3 ? true : undefined), DEADLINE_MS, 50, () => `${finalsSoFar()}/${total} quotes final`);
  expect(finalsSoFar()).toBeLessThan(total * 0.8);

  await cluster.node('applications-1').kill('SIGKILL');

  for (const a of applications) {
    await eventually(() => (a.client.completedCount(a.id) > 0 ? true : undefined), DEADLINE_MS + 10_000, 100,
      () => `application ${a.id} not completed at its client\n${cluster.describe()}`);
  }
  const lastDeadline = Math.max(...applications.map((a) => a.deadline));
  await eventually(() => (Date.now() > lastDeadline + 1_500 ? true : undefined), DEADLINE_MS + 5_000, 200);

  for (const a of applications) {
    expect(a.client.completedCount(a.id)).toBe(1);
    const quotes = a.client.completedQuotes(a.id) ?? [];
    expect(quotes.filter((q) => !isFinal(q))).toEqual([]);
    // each insurer's final state reached the client live, once, the same as `completed` says
    const liveFinals = a.client.events(a.id, 'quote').filter((r) => isFinal(r.data)).map((r) => `${r.data.insurer.code}=${r.data.status}`).sort();
    expect({ application: a.id, live: liveFinals }).toEqual({ application: a.id, live: quotes.map((q) => `${q.insurer.code}=${q.status}`).sort() });
    expect(lostAnswers(quotes, await cluster.sandbox.quotes(a.id), a.deadline)).toEqual([]);
  }
  expect(clients.flatMap((c) => c.repeatedStates())).toEqual([]);

  // the survivor takes new work too: an application posted now is accepted and completes
  const after = await Promise.all([postApplication(gateways[0]), postApplication(gateways[1]), postApplication(gateways[0]), postApplication(gateways[1])]);
  for (const created of after) expect((await untilCompleted(gateways, created.id, DEADLINE_MS + 5_000)).status).toBe('completed');
}));
