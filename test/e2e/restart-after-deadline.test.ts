/**
 * A node SIGKILLed while quoting and started again on the same DATA_DIR only after its
 * applications' deadlines have passed (CONTRACT §5: "when that node is restarted it resumes where
 * it was"): they are completed promptly, the quotes still pending at the kill become `timeout`,
 * the answers stored before it stay as they were, a reconnecting Socket.IO client sees `completed`
 * once, and no insurer is asked again (the sandbox's own record of each application stands still).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { freePorts, startNode, waitForHttp, type NodeProcess } from '../support/processes';
import { eventually } from '../support/wait';
import { EventLog, FINAL_STATUSES, type Ack } from '../support/sockets';
import { TEST_SEED } from '../support/random';
import { sampleApplication } from '../unit/fixtures/application';
import { todayInMoscow } from '../../lib/dates';
import type { Quote } from '../../lib/quotes/types';

jest.setTimeout(90_000);

const KEY = { 'x-api-key': 'demo-key', 'content-type': 'application/json' };
const HELD_BACK = ['tri-kita', 'sokol-krylo']; // `slow` while the node runs: still pending at the kill
const DEADLINE_MS = 6_000;
// a reconnecting client is usually subscribed before the restarted node's first sweep; either
// way it must see the completion once (as an event, or in the snapshot it subscribes with)
const SWEEP_MS = 1_000;
const PROMPTLY_MS = SWEEP_MS + 2_000; // the first sweep after the start, with room for a loaded machine

interface StoredApplication {
  id: string;
  status: string;
  deadline: string;
  completedAt?: string;
  quotes: Quote[];
}

const running: NodeProcess[] = [];
let socket: Socket | undefined;
let base = '';
let sandboxBase = '';

afterAll(async () => {
  socket?.disconnect();
  await Promise.all(running.map((p) => p.kill()));
});

async function getApplication(id: string): Promise<StoredApplication> {
  const res = await fetch(`${base}/api/v1/applications/${id}`, { headers: KEY });
  return (await res.json()) as StoredApplication;
}

async function setMode(code: string, mode: string): Promise<void> {
  const res = await fetch(`${sandboxBase}/sandbox/insurers/${code}/mode`, { method: 'PUT', headers: KEY, body: JSON.stringify({ mode }) });
  expect(res.status).toBe(200);
}

/** The sandbox's record of one of our applications: per insurer, its reference, times and polls. */
async function sandboxRecord(id: string): Promise<unknown[]> {
  const res = await fetch(`${sandboxBase}/sandbox/quotes?applicationId=${encodeURIComponent(id)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as unknown[];
}

test('applications whose deadline passed while the node was down complete promptly on restart, once, nobody asked again', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-restart-late-'));
  const [port, sandboxPort] = await freePorts(2);
  base = `http://127.0.0.1:${port}`;
  sandboxBase = `http://127.0.0.1:${sandboxPort}`;
  running.push(startNode('sandbox/main.js', { SANDBOX_PORT: String(sandboxPort), SANDBOX_LATENCY_SCALE: '0.05', SANDBOX_TRANSIENT_ERRORS: '0', SANDBOX_SEED: String(TEST_SEED) }));
  const nodeEnv = {
    PORT: String(port),
    SERVICES: 'gateway,applications,insurers,offers-stream',
    INSURERS_URL: sandboxBase,
    DATA_DIR: dataDir,
    QUOTE_DEADLINE_MS: String(DEADLINE_MS),
    DEADLINE_SWEEP_MS: String(SWEEP_MS),
  };
  let node = startNode('bin/start.js', nodeEnv);
  running.push(node);
  await waitForHttp(`${base}/api/v1/health`);
  await waitForHttp(`${sandboxBase}/sandbox/insurers`);
  for (const code of HELD_BACK) await setMode(code, 'slow');

  // a client that re-subscribes to its applications on every (re)connection, as CONTRACT §3 says
  const log = new EventLog();
  const tokens = new Map<string, string>();
  const snapshots = new Map<string, string[]>(); // application -> snapshot status of each subscribe
  socket = connect(base, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 200 });
  log.attach(socket);
  const refusals: unknown[] = [];
  const subscribe = async (id: string) => {
    const ack = (await socket?.timeout(10_000).emitWithAck('subscribe', { id, token: tokens.get(id) })) as Ack;
    if (!ack.ok) refusals.push({ id, ack });
    else snapshots.set(id, [...(snapshots.get(id) ?? []), ack.snapshot.status]);
  };
  socket.on('connect', () => {
    for (const id of tokens.keys()) subscribe(id).catch((err: unknown) => refusals.push({ id, err: String(err) }));
  });
  await eventually(() => (socket?.connected ? true : undefined), 10_000);

  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${base}/api/v1/applications`, { method: 'POST', headers: KEY, body: JSON.stringify(sampleApplication(todayInMoscow())) });
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; token: string };
    ids.push(created.id);
    tokens.set(created.id, created.token);
    await subscribe(created.id);
  }

  // kill once every insurer but the held-back ones has answered: what is pending then stays so
  const heldBack = (q: Quote) => HELD_BACK.includes(q.insurer.code);
  let seen: StoredApplication[] = [];
  const beforeKill = await eventually(async () => {
    seen = await Promise.all(ids.map(getApplication));
    const ready = seen.every((app) => app.quotes.every((q) => heldBack(q) || FINAL_STATUSES.includes(q.status)));
    return ready ? seen : undefined;
  }, DEADLINE_MS - 1_500, 50, () => `not every other insurer has answered: ${JSON.stringify(seen.map((a) => a.quotes.map((q) => q.status)))}`);
  await node.kill('SIGKILL');
  const killedAt = Date.now();
  for (const app of beforeKill) {
    expect(app.status).toBe('quoting');
    for (const code of HELD_BACK) expect(app.quotes.find((q) => q.insurer.code === code)?.status).toBe('pending');
  }
  // were they asked again, these would now answer at once
  for (const code of HELD_BACK) await setMode(code, 'normal');

  const lastDeadline = Math.max(...beforeKill.map((a) => Date.parse(a.deadline)));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastDeadline + 500 - Date.now()))); // the node stays down past every deadline
  const recordsWhileDown = await Promise.all(ids.map(sandboxRecord));

  node = startNode('bin/start.js', nodeEnv);
  running.push(node);
  await waitForHttp(`${base}/api/v1/health`);
  const upAt = Date.now();

  let after: StoredApplication[] = [];
  after = await eventually(async () => {
    after = await Promise.all(ids.map(getApplication));
    return after.every((app) => app.status === 'completed') ? after : undefined;
  }, PROMPTLY_MS + 5_000, 50, () => `not all completed: ${after.map((a) => a.status).join(', ')}`);

  for (const [n, app] of after.entries()) {
    const completedAt = Date.parse(app.completedAt as string);
    expect(completedAt).toBeGreaterThan(killedAt); // by the restarted node, not before the kill
    expect(completedAt - upAt).toBeLessThanOrEqual(PROMPTLY_MS);
    for (const quote of app.quotes) {
      const was = beforeKill[n].quotes.find((q) => q.insurer.code === quote.insurer.code) as Quote;
      if (was.status === 'pending') expect({ code: quote.insurer.code, status: quote.status }).toEqual({ code: quote.insurer.code, status: 'timeout' });
      else expect(quote).toEqual(was); // an answer stored before the kill is kept as it was
    }
  }

  // a fresh application, held back so that only a sweep completes it: once the client has its
  // `completed`, every earlier sweep is over and its events are in (one connection, in order)
  await setMode(HELD_BACK[0], 'slow');
  const fresh = await fetch(`${base}/api/v1/applications`, { method: 'POST', headers: KEY, body: JSON.stringify(sampleApplication(todayInMoscow())) });
  const freshApp = (await fresh.json()) as { id: string; token: string };
  tokens.set(freshApp.id, freshApp.token);
  await subscribe(freshApp.id);
  await eventually(() => (log.completedOf(freshApp.id).length > 0 ? true : undefined), DEADLINE_MS + 10_000);

  if (process.env.SHOW_TIMINGS) {
    const late = after.map((a) => Date.parse(a.completedAt as string) - upAt);
    const live = ids.filter((id) => log.completedOf(id).length > 0).length;
    console.log(`restart after the deadline: completed ${late.join(', ')} ms after the node was up; ${live} of ${ids.length} seen live, the rest in the snapshot`);
  }
  // a `subscribe` while the restarted node's applications service is not up yet must not be told
  // the application does not exist: a part that is not up answers 503, and the client tries again
  expect(refusals).toEqual([]);
  for (const id of ids) {
    // completed once for the client: live after its re-subscription, or in that snapshot
    const inSnapshots = (snapshots.get(id) ?? []).filter((s) => s === 'completed').length;
    expect({ id, completions: log.completedOf(id).length + inSnapshots }).toEqual({ id, completions: 1 });
    const states = log.statesOf(id);
    for (const [code, list] of Object.entries(states)) expect({ code, list }).toEqual({ code, list: [...new Set(list)] });
  }
  // the client really re-subscribed to each after the restart
  for (const id of ids) expect((snapshots.get(id) ?? []).length).toBeGreaterThanOrEqual(2);
  // nobody asked the insurers again about these applications
  expect(await Promise.all(ids.map(sandboxRecord))).toEqual(recordsWhileDown);
  for (const [n] of ids.entries()) expect(recordsWhileDown[n].length).toBeGreaterThan(0);
});
