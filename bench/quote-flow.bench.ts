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
import { io, type Socket } from 'socket.io-client';
import { freePorts, startNode, waitForHttp } from '../test/support/processes';
import { sampleApplication } from '../test/unit/fixtures/application';
import { todayInMoscow } from '../lib/dates';

const N = Number(process.env.BENCH_N ?? 500);
const C = Number(process.env.BENCH_C ?? 50);
const LATENCY_SCALE = process.env.BENCH_LATENCY_SCALE ?? '0.01';
const CLK_TCK = 100; // Linux USER_HZ

function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime + stime
}

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

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
    const pid = system.child.pid as number;
    const application = sampleApplication(todayInMoscow());

    const sockets: Socket[] = await Promise.all(
      Array.from({ length: C }, () => new Promise<Socket>((resolve, reject) => {
        const s = io(base, { transports: ['websocket'], reconnection: false });
        s.once('connect', () => resolve(s));
        s.once('connect_error', reject);
      })),
    );

    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    const cpuBefore = cpuMs(pid);
    let peakRss = rssKb(pid, 'VmRSS');
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssKb(pid, 'VmRSS'))), 100);
    const started = Date.now();

    async function worker(socket: Socket): Promise<void> {
      while (next < N) {
        next += 1;
        const t0 = Date.now();
        const done = new Promise<void>((resolve) => socket.once('completed', () => resolve()));
        const ack = (await socket.timeout(30_000).emitWithAck('apply', application)) as { ok: boolean };
        if (!ack.ok) {
          failures += 1;
          socket.off('completed');
          continue;
        }
        await done;
        latencies.push(Date.now() - t0);
      }
    }
    await Promise.all(sockets.map(worker));
    const elapsedMs = Date.now() - started;
    clearInterval(sampler);
    const cpu = cpuMs(pid) - cpuBefore;
    peakRss = Math.max(peakRss, rssKb(pid, 'VmRSS'));
    sockets.forEach((s) => s.disconnect());

    latencies.sort((a, b) => a - b);
    const figures = {
      applications: N,
      concurrency: C,
      completed: latencies.length,
      refused: failures,
      sandboxLatencyScale: Number(LATENCY_SCALE),
      elapsedSec: +(elapsedMs / 1000).toFixed(2),
      applicationsPerSec: +((latencies.length / elapsedMs) * 1000).toFixed(1),
      cpuMsPerApplication: +(cpu / Math.max(1, latencies.length)).toFixed(2),
      p50ToCompletedMs: percentile(latencies, 0.5),
      p99ToCompletedMs: percentile(latencies, 0.99),
      peakRssMb: +(peakRss / 1024).toFixed(1),
      node: process.version,
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    };
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    await Promise.all([system.kill('SIGTERM'), sandbox.kill('SIGTERM')]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
