/**
 * /ops in a cluster (CONTRACT §8): the figures come from every node, not from the gateway's. Two
 * insurer workers share the quotes; each insurer's row adds up both nodes' calls, and those equal
 * the calls the sandbox received. A worker killed with SIGKILL shows as unavailable on the open
 * page, without a reload, and drops out of the rows.
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { Cluster, postApplication, request, untilCompleted } from '../support/cluster';
import { eventually } from '../support/wait';
import type { OpsState } from '../../services/ops/cluster-state';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DEADLINE_MS = 10_000;
const APPLICATIONS = 8;

jest.setTimeout(150_000);

let cluster: Cluster;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  cluster = await Cluster.start({ deadlineMs: DEADLINE_MS, latencyScale: 0.1 });
  await cluster.startNodes([
    { name: 'front', parts: ['gateway', 'applications', 'offers-stream'] },
    { name: 'worker-1', parts: ['insurers'] },
    { name: 'worker-2', parts: ['insurers'] },
  ]);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.close();
}, 30_000);

async function opsState(): Promise<OpsState> {
  const res = await fetch(`${cluster.node('front').url}/ops/state`);
  if (res.status !== 200) throw new Error(`GET /ops/state answered ${res.status}`);
  return (await res.json()) as OpsState;
}

test('each insurer row adds up both workers; a killed worker goes unavailable on the open page', async () => {
  const front = cluster.node('front').url;
  const created = await Promise.all(Array.from({ length: APPLICATIONS }, () => postApplication(front)));
  await Promise.all(created.map((c) => untilCompleted([front], c.id, DEADLINE_MS + 10_000)));

  const sandbox = await cluster.sandbox.insurers();
  const state = await opsState();
  expect(state.unanswered).toEqual([]);
  for (const row of state.insurers) {
    expect(row.nodes.map((n) => n.nodeID)).toEqual(['worker-1', 'worker-2']);
    // every call either node made to the insurer, and nothing else
    expect(row.recentCalls).toBe(sandbox.find((i) => i.code === row.code)?.calls);
    expect(row.recentCalls).toBe(row.nodes.reduce((sum, n) => sum + n.recentCalls, 0));
  }
  const byNode = (id: string) => state.insurers.reduce((sum, row) => sum + (row.nodes.find((n) => n.nodeID === id)?.recentCalls ?? 0), 0);
  expect(byNode('worker-1')).toBeGreaterThan(0);
  expect(byNode('worker-2')).toBeGreaterThan(0);
  expect(state.nodes.map((n) => [n.nodeID, n.parts.join(',')])).toEqual([
    ['front', 'gateway,applications,offers-stream,audit'],
    ['worker-1', 'insurers'],
    ['worker-2', 'insurers'],
  ]);
  expect(state.sandbox).toBeNull(); // the sandbox runs on its own here, not as a part of a node

  // the partner API's GET /insurers is the same merged view, not the answering node's
  const partnerView = await request(front, 'GET', '/api/v1/insurers');
  expect(partnerView.status).toBe(200);
  for (const entry of partnerView.json as unknown as Array<{ code: string; nodes: string[]; recent: { calls: number } }>) {
    expect(entry.nodes).toEqual(['worker-1', 'worker-2']);
    expect(entry.recent.calls).toBe(sandbox.find((i) => i.code === entry.code)?.calls);
  }

  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${front}/ops`);
    await page.waitForSelector('[data-node="worker-2"][data-available="true"]');
    await expect(page.locator('#sandbox-section').isHidden()).resolves.toBe(true);
    await page.evaluate(() => Object.assign(window, { opsTestLoaded: true }));

    await cluster.node('worker-2').kill('SIGKILL');
    await page.waitForSelector('[data-node="worker-2"][data-available="false"]', { timeout: 20_000 });
    await expect(page.evaluate(() => (window as unknown as { opsTestLoaded?: boolean }).opsTestLoaded)).resolves.toBe(true);
    await eventually(async () => {
      const after = await opsState();
      return after.insurers.every((row) => row.nodes.length === 1 && row.nodes[0].nodeID === 'worker-1') ? true : undefined;
    }, 10_000, 200, () => 'the rows still count worker-2');
  } finally {
    await context.close();
  }
});
