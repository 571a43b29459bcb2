/**
 * The quote-flow load over a cluster on one machine: its own nats-server (JetStream) and
 * redis-server, a fresh PostgreSQL database, one node with gateway + applications + offers-stream,
 * and BENCH_WORKERS insurer workers (1 or 2), each a child process. CPU is summed over every node
 * (the sandbox excluded), and reported apart for the infrastructure (NATS, Redis, the PostgreSQL
 * backends of this database). Like the embedded bench it sets the nodes' CPU against the HTTP floor
 * of the same run, with the insurer calls, offer lag and polls from the sandbox's record, and
 * appends its row to docs/benchmarks.md.
 *
 *   npm run bench:cluster                          # N=500 C=50, one worker
 *   BENCH_WORKERS=2 npm run bench:cluster          # the issue's figure: two workers
 *   BENCH_SYSTEM_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench:cluster   # profile every node
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePorts, startNode, waitForHttp, type NodeProcess } from '../test/support/processes';
import { floorCells, startCountingCalls } from './against-floor';
import { appendRow, commandLine, measuredCommit } from './history';
import { measureHttpFloor } from './http-floor';
import { connectClients, loadFigures, runLoad } from './load';
import { ProcessMeter } from './proc';

const N = Number(process.env.BENCH_N ?? 500);
const C = Number(process.env.BENCH_C ?? 50);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const LATENCY_SCALE = process.env.BENCH_LATENCY_SCALE ?? '0.01';
const PG_ADMIN = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HISTORY_HEADING = '## cluster, against the floor';

function server(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { stdio: 'ignore' });
}

async function backendPids(sql: postgres.Sql, database: string): Promise<number[]> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database}`;
  return rows.map((r) => r.pid);
}

async function main(): Promise<void> {
  const command = await commandLine('npm run bench:cluster');
  // before anything of the cluster starts, so nothing else of this run competes with the floor's loop
  const floor = await measureHttpFloor();
  const [natsPort, redisPort, port, sandboxPort] = await freePorts(4);
  const natsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-bench-nats-'));
  const database = `osago_bench_${crypto.randomBytes(4).toString('hex')}`;
  const admin = postgres(PG_ADMIN, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${database}`);
  const nats = server('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(natsPort), '-js', '-sd', natsDir]);
  const redis = server('/usr/bin/redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no']);
  const shared = {
    TRANSPORTER: `nats://127.0.0.1:${natsPort}`,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
    INSURERS_URL: `http://127.0.0.1:${sandboxPort}`,
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'error',
    NODE_EXTRA_ARGS: process.env.BENCH_SYSTEM_NODE_ARGS ?? '',
  };
  const nodes: NodeProcess[] = [];
  const sandbox = startNode('sandbox/main.js', { SANDBOX_PORT: String(sandboxPort), SANDBOX_LATENCY_SCALE: LATENCY_SCALE });
  const base = `http://127.0.0.1:${port}`;
  try {
    await new Promise((resolve) => setTimeout(resolve, 500)); // nats-server and redis-server bind at once
    nodes.push(startNode('bin/start.js', { ...shared, NODE_ID: 'bench-front', PORT: String(port), SERVICES: 'gateway,applications,offers-stream' }));
    for (let w = 1; w <= WORKERS; w++) nodes.push(startNode('bin/start.js', { ...shared, NODE_ID: `bench-worker-${w}`, SERVICES: 'insurers' }));
    await waitForHttp(`${base}/api/v1/health`, 30_000);
    await waitForHttp(`http://127.0.0.1:${sandboxPort}/sandbox/insurers`);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the workers' consumers subscribe after the front is up
    const sockets = await connectClients([base], C);
    const pgPids = await backendPids(admin, database);
    const calls = await startCountingCalls(`http://127.0.0.1:${sandboxPort}`);
    const nodeMeter = new ProcessMeter(() => nodes.map((n) => n.child.pid as number));
    const infraMeter = new ProcessMeter(() => [nats.pid as number, redis.pid as number, ...pgPids]);
    nodeMeter.start();
    infraMeter.start();
    const load = await runLoad(sockets, N);
    const used = nodeMeter.stop();
    const infra = infraMeter.stop();
    sockets.forEach((s) => s.disconnect());

    const figures = loadFigures(load, used, { applications: N, concurrency: C, latencyScale: LATENCY_SCALE });
    const infraCpuMsPerApplication = +(infra.cpuMs / Math.max(1, figures.completed)).toFixed(2);
    const againstFloor = await calls.settle(floor, figures.cpuMsPerApplication, load, figures.completed);
    console.log(JSON.stringify({ workers: WORKERS, ...figures, infraCpuMsPerApplication, ...againstFloor }, null, 2));
    appendRow(HISTORY_HEADING, [
      new Date().toISOString().slice(0, 10),
      measuredCommit(),
      command,
      WORKERS,
      N,
      C,
      ...floorCells(figures.cpuMsPerApplication, againstFloor),
      infraCpuMsPerApplication,
      os.cpus()[0]?.model ?? '?',
    ]);
  } finally {
    await Promise.all([...nodes.map((n) => n.kill('SIGTERM')), sandbox.kill('SIGTERM')]);
    nats.kill('SIGTERM');
    redis.kill('SIGTERM');
    await admin.unsafe(`drop database if exists ${database} with (force)`).catch(() => undefined);
    await admin.end();
    fs.rmSync(natsDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
