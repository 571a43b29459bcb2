/**
 * Starts the whole system in this test process on real ports: the insurer sandbox (fast latency)
 * and one broker with every other part, configured through the same loadConfig as production.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ServiceBroker } from 'moleculer';
import { loadConfig, type AppConfig, type ServicePart } from '../../lib/config';
import { brokerOptions } from '../../moleculer.config';
import { servicesFor } from '../../services';
import { createSandbox } from '../../sandbox';
import type { Sandbox } from '../../sandbox/types';
import type { IsoDate } from '../../lib/application/types';
import { eventually } from './wait';
import { DEMO_KEY, request, type ApiAnswer, type ApiOptions } from './http';
import { TEST_SEED } from './random';

export { eventually };

export interface RunningSystem {
  broker: ServiceBroker;
  config: AppConfig;
  baseUrl: string; // the gateway: REST, Socket.IO, the page
  sandbox: Sandbox;
  sandboxUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

export interface SystemOptions {
  env?: Record<string, string>;
  parts?: ServicePart[];
  sandbox?: Sandbox; // reuse one across restarts
  dataDir?: string;
  latencyScale?: number;
  /** Seeds the sandbox's randomness (delays, faults); TEST_SEED unless given. */
  seed?: number;
  /** How long a stop waits for requests in flight (Moleculer's tracking); 500 ms unless given. */
  trackingShutdownMs?: number;
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const ownSandbox = !options.sandbox;
  const sandbox = options.sandbox ?? createTestSandbox(options.latencyScale ?? 0.02, options.seed);
  const sandboxPort = ownSandbox ? await sandbox.listen(0) : Number(new URL(sandboxUrlOf(sandbox)).port);
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'osago-test-'));
  const config = loadConfig({
    PORT: '0',
    NODE_ID: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    INSURERS_URL: `http://127.0.0.1:${sandboxPort}`,
    DATA_DIR: dataDir,
    QUOTE_DEADLINE_MS: '6000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    DEADLINE_SWEEP_MS: '50',
    ...options.env,
  });
  const parts = options.parts ?? ['gateway', 'applications', 'insurers', 'offers-stream'];
  const broker = new ServiceBroker(brokerOptions(config, { skipProcessEventRegistration: true, tracking: { enabled: true, shutdownTimeout: options.trackingShutdownMs ?? 500 } }));
  for (const schema of servicesFor(config, parts)) broker.createService(schema);
  await broker.start();
  const gateway = broker.getLocalService('gateway') as unknown as { server?: import('node:http').Server } | undefined;
  const address = gateway?.server?.address() as AddressInfo | undefined;
  return {
    broker,
    config,
    baseUrl: address ? `http://127.0.0.1:${address.port}` : '',
    sandbox,
    sandboxUrl: `http://127.0.0.1:${sandboxPort}`,
    dataDir,
    async stop() {
      await broker.stop();
      if (ownSandbox) await sandbox.close();
    },
  };
}

const sandboxUrls = new WeakMap<Sandbox, string>();
function sandboxUrlOf(sandbox: Sandbox): string {
  const url = sandboxUrls.get(sandbox);
  if (!url) throw new Error('pass a sandbox started with listenSandbox()');
  return url;
}

/** A sandbox for tests: no random 503s, and its other randomness seeded so runs repeat. */
function createTestSandbox(latencyScale: number, seed = TEST_SEED, today?: () => IsoDate): Sandbox {
  return createSandbox({ latencyScale, transientErrors: false, seed, today });
}

/** A sandbox that outlives one system, e.g. across a restart; `today` sets the insurers' calendar. */
export async function listenSandbox(latencyScale = 0.02, seed = TEST_SEED, today?: () => IsoDate): Promise<{ sandbox: Sandbox; url: string }> {
  const sandbox = createTestSandbox(latencyScale, seed, today);
  const port = await sandbox.listen(0);
  const url = `http://127.0.0.1:${port}`;
  sandboxUrls.set(sandbox, url);
  return { sandbox, url };
}

export { DEMO_KEY, type ApiAnswer, type ApiOptions } from './http';

/** One request to the gateway as a partner (DEMO_KEY unless `options.key` says otherwise). */
export function api(system: RunningSystem, method: string, route: string, body?: unknown, options: ApiOptions = {}): Promise<ApiAnswer> {
  return request(system.baseUrl, method, route, body, options);
}

/** The application once completed, read as the partner of `key` (DEMO_KEY unless given). */
export async function waitCompleted(system: RunningSystem, id: string, timeoutMs = 15_000, everyMs = 50, key: string = DEMO_KEY) {
  return eventually(async () => {
    const res = await api(system, 'GET', `/api/v1/applications/${id}`, undefined, { key });
    return res.json?.status === 'completed' ? res.json : undefined;
  }, timeoutMs, everyMs);
}

/** The sandbox's call counter of every insurer it simulates, read in-process; never an empty list. */
export function sandboxCalls(system: RunningSystem): Array<{ code: string; calls: number }> {
  const list = system.sandbox.list().map(({ code, calls }) => ({ code, calls }));
  if (list.length === 0) throw new Error('the sandbox simulates no insurer');
  return list;
}

/** How many calls the sandbox has had for one insurer (throws for a code it does not simulate). */
export function callsTo(system: RunningSystem, code: string): number {
  const entry = sandboxCalls(system).find((i) => i.code === code);
  if (!entry) throw new Error(`the sandbox has no insurer ${code}`);
  return entry.calls;
}
