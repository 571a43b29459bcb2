/**
 * A node killed (SIGKILL) in the middle of quoting and started again on the same DATA_DIR:
 * the applications it was quoting still complete, and the history is kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startNode, waitForHttp, type NodeProcess } from '../support/processes';
import { eventually } from '../support/wait';
import { sampleApplication } from '../unit/fixtures/application';
import { todayInMoscow } from '../../lib/dates';

jest.setTimeout(60_000);

const KEY = { 'x-api-key': 'demo-key', 'content-type': 'application/json' };
const running: NodeProcess[] = [];
let base = '';

type Application = { status: string; quotes: { status: string; insurer: { code: string } }[] };

async function getApplication(id: string) {
  const res = await fetch(`${base}/api/v1/applications/${id}`, { headers: KEY });
  return (await res.json()) as Application;
}

async function untilCompleted(id: string, timeoutMs: number) {
  let last: Application | undefined;
  return eventually(async () => {
    last = await getApplication(id);
    return last.status === 'completed' ? last : undefined;
  }, timeoutMs, 100, () => `application ${id} still ${last?.status}`);
}

const isPending = (q: { status: string }) => q.status === 'pending';

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
});

test('applications survive a SIGKILL and finish after the restart; history is kept', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-restart-'));
  const [port, sandboxPort] = await freePorts(2);
  // slower insurers take ~4 s at this scale, so the kill lands while they are still quoting
  const sandbox = startNode('sandbox/main.js', { SANDBOX_PORT: String(sandboxPort), SANDBOX_LATENCY_SCALE: '0.1' });
  running.push(sandbox);
  const nodeEnv = {
    PORT: String(port),
    SERVICES: 'gateway,applications,insurers,offers-stream',
    INSURERS_URL: `http://127.0.0.1:${sandboxPort}`,
    DATA_DIR: dataDir,
    QUOTE_DEADLINE_MS: '15000',
  };
  base = `http://127.0.0.1:${port}`;
  let node = startNode('bin/start.js', nodeEnv);
  running.push(node);
  await waitForHttp(`${base}/api/v1/health`);
  await waitForHttp(`http://127.0.0.1:${sandboxPort}/sandbox/insurers`);

  const post = async () => {
    const res = await fetch(`${base}/api/v1/applications`, { method: 'POST', headers: KEY, body: JSON.stringify(sampleApplication(todayInMoscow())) });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };

  const history = await post();
  await untilCompleted(history, 14_000);

  const inFlight = [await post(), await post(), await post()];
  // kill once each is half done: some insurers have answered, the slow ones not yet
  let seen: Application[] = [];
  const before = await eventually(async () => {
    seen = await Promise.all(inFlight.map(getApplication));
    const halfDone = seen.every((app) => app.quotes.some(isPending) && app.quotes.some((q) => !isPending(q)));
    return halfDone ? seen : undefined;
  }, 10_000, 20, () => `not every application had both a final and a pending quote: ${JSON.stringify(seen.map((app) => app.quotes.map((q) => q.status)))}`);
  const pendingBefore = before.map((app) => new Set(app.quotes.filter(isPending).map((q) => q.insurer.code)));
  expect(pendingBefore.every((codes) => codes.size > 0)).toBe(true);

  await node.kill('SIGKILL');
  node = startNode('bin/start.js', nodeEnv);
  running.push(node);
  await waitForHttp(`${base}/api/v1/health`);

  for (const [n, id] of inFlight.entries()) {
    const done = await untilCompleted(id, 20_000);
    expect(done.quotes).toHaveLength(before[n].quotes.length);
    expect(done.quotes.filter(isPending)).toEqual([]);
    // resumed, not merely timed out: insurers still pending at the kill were asked again and answered
    const answeredAfterRestart = done.quotes.filter((q) => pendingBefore[n].has(q.insurer.code) && q.status === 'offer');
    expect(answeredAfterRestart.length).toBeGreaterThan(0);
  }
  const kept = await getApplication(history);
  expect(kept.status).toBe('completed');
}, 60_000);
