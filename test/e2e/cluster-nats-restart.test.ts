/**
 * Issue 5: NATS SIGKILLed for a few seconds while applications are being quoted, then started again
 * on the same JetStream store and port. The applications in flight still complete without losing
 * answers, every node reconnects and takes new work, and an application submitted during the outage
 * is either accepted and then completed, or refused with a clear 5xx problem: never accepted and lost.
 */
import { expectProblem } from '../support/problem';
import { Cluster, lostAnswers, newApplication, postApplication, request, untilCompleted, type ApplyAck, type QuoteWatcher } from '../support/cluster';
import type { ApiAnswer } from '../support/system';
import { eventually } from '../support/wait';

const DEADLINE_MS = 20_000;
const OUTAGE_MS = 3_000;
const IN_FLIGHT_PER_GATEWAY = 6;
// an answer the insurer had ready this long before the deadline outlived the outage and must arrive
const ANSWER_MARGIN_MS = 8_000;

jest.setTimeout(150_000);

let cluster: Cluster;

beforeAll(async () => {
  cluster = await Cluster.start({ deadlineMs: DEADLINE_MS, latencyScale: 0.2 });
  await cluster.startNodes([
    // a gateway beside `applications`: a POST there reaches the store and then has to publish to NATS
    { name: 'front', parts: ['gateway', 'applications', 'offers-stream'] },
    // a gateway alone: a POST there has to call `applications` across NATS
    { name: 'gateway-b', parts: ['gateway'] },
    { name: 'worker-1', parts: ['insurers'] },
    { name: 'worker-2', parts: ['insurers'] },
  ]);
}, 90_000);

afterAll(() => cluster?.close(), 30_000);

type Outcome = { via: string; answer?: ApiAnswer; error?: unknown };

/** A POST sent while NATS is down: accepted means it must complete later; otherwise a 5xx problem. */
async function expectAcceptedAndCompletedOrRefused(outcome: Outcome, gateways: string[]): Promise<string> {
  if (outcome.error !== undefined) throw new Error(`POST on ${outcome.via} during the outage got no answer: ${String(outcome.error)}`);
  const answer = outcome.answer as ApiAnswer;
  if (answer.status === 202) {
    const done = await untilCompleted(gateways, answer.json.id as string, DEADLINE_MS + 15_000);
    expect(done.status).toBe('completed');
    return `${outcome.via}: 202, completed`;
  }
  expect(answer.status).toBeGreaterThanOrEqual(500);
  expectProblem(answer, answer.status);
  return `${outcome.via}: ${answer.status} ${answer.json.detail as string}`;
}

test('NATS killed and restarted on its store: in-flight work completes, nodes reconnect, no accepted application is lost', () => cluster.run(async () => {
  const front = cluster.node('front').url;
  const gatewayB = cluster.node('gateway-b').url;
  const gateways = [front, gatewayB];
  const first = await postApplication(front);
  await untilCompleted(gateways, first.id, DEADLINE_MS + 5_000);
  const insurerCount = (await cluster.sandbox.quotes(first.id)).length;

  const watcher: QuoteWatcher = await cluster.watcher([gatewayB]);
  const inFlight = await Promise.all(gateways.flatMap((url) => Array.from({ length: IN_FLIGHT_PER_GATEWAY }, () => postApplication(url))));
  for (const app of inFlight) expect((await watcher.subscribe(app.id, app.token)).ok).toBe(true);
  const records = await eventually(async () => {
    const all = await Promise.all(inFlight.map((a) => cluster.sandbox.quotes(a.id)));
    return all.every((r) => r.length === insurerCount) ? all : undefined;
  }, 15_000, 100, () => 'the creates of the in-flight applications did not all reach the sandbox');
  await cluster.untilProgressRecorded(records.map((r, i) => ({ applicationId: inFlight[i].id, insurers: r.map((q) => q.insurer) })));

  await cluster.killNats();
  const duringOutage: Promise<Outcome>[] = gateways.map((url) =>
    request(url, 'POST', '/api/v1/applications', newApplication(), { timeoutMs: 30_000 }).then(
      (answer) => ({ via: url === front ? 'front' : 'gateway-b', answer }),
      (error: unknown) => ({ via: url === front ? 'front' : 'gateway-b', error }),
    ),
  );
  const socketApply: Promise<{ ack?: ApplyAck; error?: unknown }> = watcher.apply().then((ack) => ({ ack }), (error: unknown) => ({ error }));
  // the outage itself: how long NATS stays away is the scenario, not a condition to wait for
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  await cluster.startNats();

  for (const app of inFlight) {
    const done = await untilCompleted(gateways, app.id, DEADLINE_MS + 10_000);
    expect(lostAnswers(done.quotes, await cluster.sandbox.quotes(app.id), Date.parse(done.deadline), ANSWER_MARGIN_MS)).toEqual([]);
    await eventually(() => (watcher.completedCount(app.id) > 0 ? true : undefined), 10_000, 100, () => `no completed for ${app.id} at the client`);
  }

  const outageResults = [];
  for (const outcome of await Promise.all(duringOutage)) outageResults.push(await expectAcceptedAndCompletedOrRefused(outcome, gateways));
  const applied = await socketApply;
  if (!applied.ack) throw new Error(`socket apply during the outage got no ack: ${String(applied.error)}`);
  const ack = applied.ack;
  if (ack.ok) {
    await eventually(() => (ack.id && watcher.completedCount(ack.id) > 0 ? true : undefined), DEADLINE_MS + 15_000, 100, () => `socket apply ${ack.id} accepted during the outage never completed`);
  } else {
    expect(ack.error?.status).toBeGreaterThanOrEqual(500);
    expect(ack.error?.detail).toEqual(expect.any(String));
  }
  console.log(`during the NATS outage: ${outageResults.join('; ')}; socket apply: ${ack.ok ? 'accepted, completed' : `${ack.error?.status} ${ack.error?.detail}`}`);

  // every node is still up and back on the bus: new applications through both gateways complete
  expect([...cluster.nodes.values()].filter((n) => !n.running).map((n) => n.name)).toEqual([]);
  const after = await Promise.all([postApplication(front), postApplication(gatewayB), postApplication(gatewayB)]);
  for (const app of after) {
    const done = await untilCompleted(gateways, app.id, DEADLINE_MS + 5_000);
    expect(done.quotes.filter((q) => q.status === 'timeout')).toEqual([]);
  }

  for (const app of inFlight) expect(watcher.completedCount(app.id)).toBe(1);
  expect(watcher.repeatedStates()).toEqual([]);
  expect(await cluster.sandbox.total('duplicateCreates')).toBe(0);
}));
