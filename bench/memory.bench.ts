/**
 * Memory per unit of work, on the embedded system as a child process (sandbox apart):
 *  - heap per in-flight application: BENCH_IN_FLIGHT (5 000) applications submitted over REST
 *    against insurers in `slow` mode, so every quote loop is waiting; live heap after a full GC,
 *    less the same figure before, divided by the applications;
 *  - memory per idle Socket.IO connection: BENCH_SOCKETS (10 000) WebSocket clients that connect
 *    and stay idle; the node's RSS and live heap, less the same before, divided by the sockets.
 * The node's live heap is read through bench/heap-probe.ts. The run appends its row.
 *
 *   npm run bench:memory
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { io, type Socket } from 'socket.io-client';
import { todayInMoscow } from '../lib/dates';
import { projectRoot } from '../lib/project-root';
import { sampleApplication } from '../test/unit/fixtures/application';
import { freePorts, startNode, waitForHttp, type NodeProcess } from '../test/support/processes';
import { appendRow, commandLine, measuredCommit } from './history';

const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 5_000);
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 10_000);
const HISTORY_HEADING = '## memory per unit of work';
const SUBMIT_CONCURRENCY = 50;
const CONNECT_BATCH = 500;

interface Memory {
  rss: number;
  heapUsed: number;
}

async function probe(node: NodeProcess, file: string): Promise<Memory> {
  fs.rmSync(file, { force: true });
  node.child.kill('SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as Memory;
      } catch {
        // caught mid-write: read again
      }
    }
  }
  throw new Error('the heap probe did not answer: was the node started with it?');
}

async function submitAll(base: string, count: number): Promise<number> {
  const body = JSON.stringify(sampleApplication(todayInMoscow()));
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const res = await request(`${base}/api/v1/applications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'demo-key' },
        body,
      });
      await res.body.dump();
      if (res.statusCode === 202) accepted += 1;
    }
  };
  await Promise.all(Array.from({ length: SUBMIT_CONCURRENCY }, worker));
  return accepted;
}

async function connectIdle(base: string, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let start = 0; start < count; start += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - start) }, () => new Promise<Socket>((resolve, reject) => {
      const s = io(base, { transports: ['websocket'], reconnection: false, timeout: 30_000 });
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    }));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

const kb = (bytes: number) => +(bytes / 1024).toFixed(1);

async function main(): Promise<void> {
  const command = await commandLine('npm run bench:memory');
  const [port, sandboxPort] = await freePorts(2);
  const probeFile = path.join(os.tmpdir(), `osago-heap-probe-${process.pid}.json`);
  const sandbox = startNode('sandbox/main.js', { SANDBOX_PORT: String(sandboxPort), SANDBOX_LATENCY_SCALE: '1' });
  const system = startNode('bin/start.js', {
    PORT: String(port),
    SERVICES: 'gateway,applications,insurers,offers-stream',
    INSURERS_URL: `http://127.0.0.1:${sandboxPort}`,
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'osago-bench-memory-')),
    RATE_LIMIT_PER_MINUTE: '100000000',
    QUOTE_DEADLINE_MS: '600000', // nothing completes while we measure
    LOG_LEVEL: 'error',
    HEAP_PROBE_FILE: probeFile,
    NODE_EXTRA_ARGS: `--expose-gc -r ${path.join(projectRoot(), 'dist', 'bench', 'heap-probe.js')}`,
  });
  const base = `http://127.0.0.1:${port}`;
  const sandboxBase = `http://127.0.0.1:${sandboxPort}`;
  try {
    await waitForHttp(`${base}/api/v1/health`);
    await waitForHttp(`${sandboxBase}/sandbox/insurers`);
    const insurers = (await (await request(`${sandboxBase}/sandbox/insurers`)).body.json()) as Array<{ code: string }>;
    for (const { code } of insurers) {
      const res = await request(`${sandboxBase}/sandbox/insurers/${code}/mode`, {
        method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'slow' }),
      });
      await res.body.dump();
    }
    // the sockets first, on a node with nothing in flight: the quote loops' own churn would blur them
    const beforeSockets = await probe(system, probeFile);
    const sockets = await connectIdle(base, SOCKETS);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const withSockets = await probe(system, probeFile);
    sockets.forEach((s) => s.disconnect());
    const rssPerSocketKb = kb((withSockets.rss - beforeSockets.rss) / SOCKETS);
    const heapPerSocketKb = kb((withSockets.heapUsed - beforeSockets.heapUsed) / SOCKETS);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the disconnected sockets let go

    await submitAll(base, 50); // warm the code paths, so the figures below are data, not compiled code
    const idle = await probe(system, probeFile);
    const accepted = await submitAll(base, IN_FLIGHT);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // every create answered, every loop waiting
    const inFlight = await probe(system, probeFile);
    const heapPerApplicationKb = kb((inFlight.heapUsed - idle.heapUsed) / Math.max(1, accepted));

    const figures = { inFlight: accepted, heapPerApplicationKb, sockets: SOCKETS, rssPerSocketKb, heapPerSocketKb, node: process.version };
    console.log(JSON.stringify(figures, null, 2));
    appendRow(HISTORY_HEADING, [
      new Date().toISOString().slice(0, 10),
      measuredCommit(),
      command,
      accepted,
      `${heapPerApplicationKb} KB`,
      SOCKETS,
      `${rssPerSocketKb} KB`,
      `${heapPerSocketKb} KB`,
      os.cpus()[0]?.model ?? '?',
    ]);
  } finally {
    await Promise.all([system.kill('SIGTERM'), sandbox.kill('SIGTERM')]);
    fs.rmSync(probeFile, { force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
