/**
 * N applications at concurrency C through the embedded system (one node, no broker) against a
 * fast sandbox, each over Socket.IO from `apply` to `completed`. The system and the sandbox run as
 * child processes so that the CPU and RSS figures are the system's own. Beside them: the HTTP floor
 * costed in the same run (bench/http-floor.ts), the insurer calls made, and offer lag and polls from
 * the sandbox's record (bench/offer-lag.ts); the run appends its row to docs/benchmarks.md.
 *
 *   npm run bench                      # N=500 C=50
 *   BENCH_N=2000 BENCH_C=200 npm run bench
 *   BENCH_SYSTEM_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench   # profile the system
 *   BENCH_NOTE='…' npm run bench       # a remark for the row's command column
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startNode, waitForHttp } from '../test/support/processes';
import { appendRow, commandLine, measuredCommit } from './history';
import { measureHttpFloor } from './http-floor';
import { connectClients, loadFigures, runLoad } from './load';
import { floorCells, startCountingCalls } from './against-floor';
import { ProcessMeter } from './proc';

const N = Number(process.env.BENCH_N ?? 500);
const C = Number(process.env.BENCH_C ?? 50);
const LATENCY_SCALE = process.env.BENCH_LATENCY_SCALE ?? '0.01';
const HISTORY_HEADING = '## embedded, against the floor';

async function main(): Promise<void> {
  const command = await commandLine('npm run bench');
  // before the system starts, so nothing else of this run competes with the floor's loop
  const floor = await measureHttpFloor();
  const [port, sandboxPort] = await freePorts(2);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-bench-'));
  const sandbox = startNode('sandbox/main.js', { SANDBOX_PORT: String(sandboxPort), SANDBOX_LATENCY_SCALE: LATENCY_SCALE });
  const system = startNode('bin/start.js', {
    PORT: String(port),
    SERVICES: 'gateway,applications,insurers,offers-stream',
    INSURERS_URL: `http://127.0.0.1:${sandboxPort}`,
    DATA_DIR: dataDir,
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'error',
    NODE_EXTRA_ARGS: process.env.BENCH_SYSTEM_NODE_ARGS ?? '',
  });
  const base = `http://127.0.0.1:${port}`;
  const sandboxBase = `http://127.0.0.1:${sandboxPort}`;
  try {
    await waitForHttp(`${base}/api/v1/health`);
    await waitForHttp(`${sandboxBase}/sandbox/insurers`);
    const sockets = await connectClients([base], C);
    const calls = await startCountingCalls(sandboxBase);
    const meter = new ProcessMeter(() => [system.child.pid as number]);
    meter.start();
    const load = await runLoad(sockets, N);
    const used = meter.stop();
    sockets.forEach((s) => s.disconnect());

    const figures = loadFigures(load, used, { applications: N, concurrency: C, latencyScale: LATENCY_SCALE });
    const againstFloor = await calls.settle(floor, figures.cpuMsPerApplication, load, figures.completed);
    console.log(JSON.stringify({ ...figures, ...againstFloor }, null, 2));

    appendRow(HISTORY_HEADING, [
      new Date().toISOString().slice(0, 10),
      measuredCommit(),
      command,
      N,
      C,
      ...floorCells(figures.cpuMsPerApplication, againstFloor),
      os.cpus()[0]?.model ?? '?',
    ]);
  } finally {
    await Promise.all([system.kill('SIGTERM'), sandbox.kill('SIGTERM')]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
