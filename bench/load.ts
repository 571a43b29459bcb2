/** The load both benchmarks put on the system: N applications over C Socket.IO clients, `apply` to `completed`. */
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { percentile } from './proc';
import type { Quote, QuoteStatus } from '../lib/quotes/types';
import { sampleApplication } from '../test/unit/fixtures/application';
import { todayInMoscow } from '../lib/dates';

/** What our client saw of one completed application; times are epoch ms on this machine. */
export interface AppliedApplication {
  id: string;
  appliedAt: number;
  firstOfferAt?: number;
  /** By insurer code: when its final `quote` event reached our client (at), its own `at` (when our system had it), its status. */
  finals: Map<string, { at: number; settledAt: number; status: QuoteStatus }>;
}

export interface LoadResult {
  latenciesMs: number[]; // sorted, one per completed application
  applications: AppliedApplication[];
  refused: number;
  elapsedMs: number;
}

/** Clients are spread over `gateways` round-robin, as a load balancer would. */
export async function connectClients(gateways: string[], count: number): Promise<Socket[]> {
  return Promise.all(
    Array.from({ length: count }, (_, n) => new Promise<Socket>((resolve, reject) => {
      const s = io(gateways[n % gateways.length], { transports: ['websocket'], reconnection: false });
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    })),
  );
}

export async function runLoad(sockets: Socket[], applications: number): Promise<LoadResult> {
  const application = sampleApplication(todayInMoscow());
  const latenciesMs: number[] = [];
  const completed: AppliedApplication[] = [];
  // keyed by id, not by socket: an application's first events can arrive before its ack
  const seen = new Map<string, Omit<AppliedApplication, 'id' | 'appliedAt'>>();
  let refused = 0;
  let next = 0;
  const started = Date.now();

  const onQuote = (quote: Quote) => {
    const at = Date.now();
    let app = seen.get(quote.applicationId);
    if (!app) seen.set(quote.applicationId, (app = { finals: new Map() }));
    if (quote.status === 'offer') app.firstOfferAt ??= at;
    if (quote.status !== 'pending' && !app.finals.has(quote.insurer.code)) app.finals.set(quote.insurer.code, { at, settledAt: Date.parse(quote.at), status: quote.status });
  };

  async function client(socket: Socket): Promise<void> {
    socket.on('quote', onQuote);
    while (next < applications) {
      next += 1;
      const t0 = Date.now();
      const done = new Promise<void>((resolve) => socket.once('completed', () => resolve()));
      const ack = (await socket.timeout(30_000).emitWithAck('apply', application)) as { ok: true; id: string } | { ok: false };
      if (!ack.ok) {
        refused += 1;
        socket.off('completed');
        continue;
      }
      await done;
      latenciesMs.push(Date.now() - t0);
      const app = seen.get(ack.id) ?? { finals: new Map() };
      seen.delete(ack.id);
      completed.push({ id: ack.id, appliedAt: t0, ...app });
    }
    socket.off('quote', onQuote);
  }
  await Promise.all(sockets.map(client));
  latenciesMs.sort((a, b) => a - b);
  return { latenciesMs, applications: completed, refused, elapsedMs: Date.now() - started };
}

/** The figures every benchmark prints for a load: throughput, CPU per application, latency, memory. */
export function loadFigures(load: LoadResult, used: { cpuMs: number; peakRssMb: number }, settings: { applications: number; concurrency: number; latencyScale: string }) {
  const completed = load.latenciesMs.length;
  return {
    applications: settings.applications,
    concurrency: settings.concurrency,
    completed,
    refused: load.refused,
    sandboxLatencyScale: Number(settings.latencyScale),
    elapsedSec: +(load.elapsedMs / 1000).toFixed(2),
    applicationsPerSec: +((completed / load.elapsedMs) * 1000).toFixed(1),
    cpuMsPerApplication: +(used.cpuMs / Math.max(1, completed)).toFixed(2),
    p50ToCompletedMs: percentile(load.latenciesMs, 0.5),
    p99ToCompletedMs: percentile(load.latenciesMs, 0.99),
    peakRssMb: used.peakRssMb,
    node: process.version,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
  };
}
