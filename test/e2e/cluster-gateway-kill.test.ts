/**
 * Issue 5: a gateway SIGKILLed with Socket.IO clients on it. Each client reconnects to the other
 * gateway and subscribes again with { id, token } (CONTRACT §3); the snapshot plus the live events
 * after it hold every insurer's final quote exactly once, and then `completed` comes once.
 */
import { Cluster, isFinal, postApplication, untilCompleted, type QuoteView, type QuoteWatcher } from '../support/cluster';
import { eventually } from '../support/wait';

const DEADLINE_MS = 15_000;
const CLIENTS = 3;
const APPLICATIONS_PER_CLIENT = 3;
// never ready before the deadline: every application is still quoting when its client has moved,
// and completes at the deadline through the sweep on the far side of the move
const HELD_BACK = 'sokol-krylo';

jest.setTimeout(120_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ deadlineMs: DEADLINE_MS, latencyScale: 0.2 });
  await cluster.startNodes([
    { name: 'gateway-a', parts: ['gateway'] },
    { name: 'gateway-b', parts: ['gateway'] },
    { name: 'applications', parts: ['applications'] },
    { name: 'offers', parts: ['offers-stream'] },
    { name: 'worker', parts: ['insurers'] },
  ]);
}, 90_000);

afterAll(() => cluster?.close(), 30_000);

function statusByInsurer(quotes: QuoteView[]): Record<string, string> {
  return Object.fromEntries(quotes.map((q) => [q.insurer.code, q.status]));
}

test('a gateway SIGKILLed: its clients move to the other one and miss nothing, see nothing twice', () => cluster.run(async () => {
  const a = cluster.node('gateway-a').url;
  const b = cluster.node('gateway-b').url;
  const first = await postApplication(b);
  await untilCompleted([b], first.id, DEADLINE_MS + 5_000);
  const insurerCount = (await cluster.sandbox.quotes(first.id)).length;
  await cluster.sandbox.setMode(HELD_BACK, 'slow');

  const clients: QuoteWatcher[] = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await cluster.watcher([a, b]));
  const applications = (await Promise.all(clients.map(async (client) => {
    const acks = await Promise.all(Array.from({ length: APPLICATIONS_PER_CLIENT }, () => client.apply()));
    return acks.map((ack) => {
      if (!ack.ok || !ack.id) throw new Error(`apply refused: ${JSON.stringify(ack)}`);
      return { client, id: ack.id, deadline: Date.parse(ack.deadline ?? '') };
    });
  }))).flat();

  // some answers already pushed through gateway A, the others still to come
  await eventually(() => (applications.every((x) => x.client.events(x.id, 'quote').some((r) => isFinal(r.data))) ? true : undefined),
    DEADLINE_MS, 50, () => 'not every application had a final quote at its client yet');
  await cluster.node('gateway-a').kill('SIGKILL');
  for (const client of clients) {
    await client.untilMovedFrom(1);
    expect(client.gateway).toBe(b);
  }

  for (const x of applications) {
    await eventually(() => (x.client.completedCount(x.id) > 0 ? true : undefined), DEADLINE_MS + 10_000, 100,
      () => `no completed for ${x.id} after the move\n${cluster.describe()}`);
  }
  const lastDeadline = Math.max(...applications.map((x) => x.deadline));
  await eventually(() => (Date.now() > lastDeadline + 1_500 ? true : undefined), DEADLINE_MS + 5_000, 200);

  let liveAfterMove = 0;
  for (const x of applications) {
    const resubscribed = x.client.subscriptions.filter((s) => s.applicationId === x.id && s.connection === 2);
    expect(resubscribed).toHaveLength(1);
    const { ack } = resubscribed[0];
    expect(ack.ok).toBe(true);
    expect(ack.snapshot?.status).toBe('quoting');

    const snapshotFinals = (ack.snapshot?.quotes ?? []).filter(isFinal);
    const liveFinals = x.client.events(x.id, 'quote', 2).map((r) => r.data).filter(isFinal);
    liveAfterMove += liveFinals.filter((q) => q.insurer.code !== HELD_BACK).length;
    const finals = [...snapshotFinals, ...liveFinals].map((q) => q.insurer.code).sort();
    expect(finals).toEqual([...new Set(finals)]); // each insurer's final state once
    expect(finals).toHaveLength(insurerCount);

    expect(x.client.events(x.id, 'completed', 1)).toEqual([]);
    const afterMove = x.client.received.filter((r) => r.applicationId === x.id && r.connection === 2);
    expect(afterMove.filter((r) => r.event === 'completed')).toHaveLength(1);
    expect(afterMove[afterMove.length - 1].event).toBe('completed');
    const completed = x.client.completedQuotes(x.id) ?? [];
    expect(statusByInsurer(completed)).toEqual(statusByInsurer([...snapshotFinals, ...liveFinals]));
    expect(statusByInsurer(completed)[HELD_BACK]).toBe('timeout');

    // what the client saw through gateway A before it died agrees with the end
    const beforeMove = x.client.events(x.id, 'quote', 1).map((r) => r.data).filter(isFinal);
    for (const q of beforeMove) expect(`${q.insurer.code}=${statusByInsurer(completed)[q.insurer.code]}`).toBe(`${q.insurer.code}=${q.status}`);
  }
  // the move happened mid-flight: answers kept coming live through gateway B, not only the sweep's
  expect(liveAfterMove).toBeGreaterThan(applications.length);
  expect(clients.flatMap((c) => c.repeatedStates())).toEqual([]);
}));
