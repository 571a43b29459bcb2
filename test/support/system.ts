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
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const ownSandbox = !options.sandbox;
  const sandbox = options.sandbox ?? createSandbox({ latencyScale: options.latencyScale ?? 0.02, transientErrors: false });
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
  const broker = new ServiceBroker(brokerOptions(config, { skipProcessEventRegistration: true, tracking: { enabled: true, shutdownTimeout: 500 } }));
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

/** A sandbox that outlives one system, e.g. across a restart. */
export async function listenSandbox(latencyScale = 0.02): Promise<{ sandbox: Sandbox; url: string }> {
  const sandbox = createSandbox({ latencyScale, transientErrors: false });
  const port = await sandbox.listen(0);
  const url = `http://127.0.0.1:${port}`;
  sandboxUrls.set(sandbox, url);
  return { sandbox, url };
}

export const DEMO_KEY = 'demo-key';

export async function api(system: RunningSystem, method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${system.baseUrl}${route}`, {
    method,
    headers: { 'x-api-key': DEMO_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as Record<string, any>, text }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Polls `check` until it returns a value, failing after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function waitCompleted(system: RunningSystem, id: string, timeoutMs = 15_000) {
  return eventually(async () => {
    const res = await api(system, 'GET', `/api/v1/applications/${id}`);
    return res.json?.status === 'completed' ? res.json : undefined;
  }, timeoutMs);
}
