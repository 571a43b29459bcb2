/**
 * N applications at concurrency C through the embedded system (one node, no broker) against a
 * fast sandbox, each over Socket.IO from `apply` to `completed`. The system and the sandbox run as
 * child processes so that the CPU and RSS figures are the system's own.
 *
 *   npm run bench                      # N=500 C=50
 *   BENCH_N=2000 BENCH_C=200 npm run bench
 *   BENCH_SYSTEM_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench   # profile the system
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts, startNode, waitForHttp } from '../test/support/processes';
import { connectClients, loadFigures, runLoad } from './load';
import { ProcessMeter } from './proc';

const N = Number(process.env.BENCH_N ?? 500);
const C = Number(process.env.BENCH_C ?? 50);
const LATENCY_SCALE = process.env.BENCH_LATENCY_SCALE ?? '0.01';

async function main(): Promise<void> {
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
  try {
    await waitForHttp(`${base}/api/v1/health`);
    await waitForHttp(`http://127.0.0.1:${sandboxPort}/sandbox/insurers`);
    const sockets = await connectClients([base], C);
    const meter = new ProcessMeter(() => [system.child.pid as number]);
    meter.start();
    const load = await runLoad(sockets, N);
    const used = meter.stop();
    sockets.forEach((s) => s.disconnect());

    console.log(JSON.stringify(loadFigures(load, used, { applications: N, concurrency: C, latencyScale: LATENCY_SCALE }), null, 2));
  } finally {
    await Promise.all([system.kill('SIGTERM'), sandbox.kill('SIGTERM')]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
