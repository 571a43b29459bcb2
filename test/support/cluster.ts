/**
 * A whole cluster made of real processes, for the e2e tests of CONTRACT §5 ("any node may be killed
 * at any moment"): its own nats-server with JetStream, its own redis-server, a fresh PostgreSQL
 * database, the insurer sandbox, and each node started from dist/bin/start.js the way a user would.
 * Everything it starts is registered at once, so close() (and, as a last resort, this process's
 * exit) ends it all even when a test or the start itself fails half-way.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'nats';
import { io, type Socket } from 'socket.io-client';
import { progressKey } from '../../services/insurers/progress/types';
import type { ServicePart } from '../../lib/config';
import { todayInMoscow } from '../../lib/dates';
import type { Application } from '../../lib/application/types';
import { sampleApplication } from '../unit/fixtures/application';
import { freePorts, startNode, waitForHttp, type NodeProcess } from './processes';
import { DEMO_KEY, request } from './http';
import { eventually } from './wait';

const NATS_SERVER = '/usr/sbin/nats-server';
const REDIS_SERVER = '/usr/bin/redis-server';
const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres' };
const run = promisify(execFile);

/** Every child still alive, killed if this process exits without close() (a crashed test run). */
const children = new Set<ChildProcess>();
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (hasExited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode as NodeJS.Signals | null });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function signalAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<Exit> {
  const exited = exitOf(child);
  if (!hasExited(child)) child.kill(signal);
  return exited;
}

/** A server binary of the machine (nats-server, redis-server) with its output kept for the logs. */
class ServerProcess {
  private child?: ChildProcess;
  private output = '';

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly cwd: string,
  ) {}

  start(): void {
    this.output += `--- start ${new Date().toISOString()}\n`;
    const child = track(spawn(this.command, this.args, { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.child = child;
  }

  get running(): boolean {
    return this.child !== undefined && !hasExited(this.child);
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    if (this.child) await signalAndWait(this.child, signal);
    this.output += `--- stopped by ${signal} ${new Date().toISOString()}\n`;
  }

  log(): string {
    return this.output;
  }
}

async function redisAnswersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(1_000);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d;
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => socket.destroy());
  });
}

async function psql(sql: string): Promise<void> {
  await run('psql', ['-h', POSTGRES.host, '-p', String(POSTGRES.port), '-U', POSTGRES.user, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
}

export interface ClusterOptions {
  /** QUOTE_DEADLINE_MS of every node. */
  deadlineMs: number;
  /** SANDBOX_LATENCY_SCALE: 0.2 makes the slowest insurer answer within 8 s. */
  latencyScale?: number;
  /** SANDBOX_SEED, so that a run's latencies can be replayed (TEST_SEED overrides it). */
  seed?: number;
  /** Extra environment for every node, e.g. RATE_LIMIT_PER_MINUTE or PARTNER_KEYS. */
  env?: Record<string, string>;
}

export interface NodeSpec {
  name: string;
  parts: ServicePart[];
  env?: Record<string, string>;
}

/** One Moleculer node of the cluster; `restart()` starts it again with the same id, port and data dir. */
export class ClusterNode {
  private process?: NodeProcess;
  /** Output of earlier runs and what the test did to the node, in order. */
  private history = '';
  /** How much of the current process's output is already in `history`. */
  private taken = 0;

  constructor(
    readonly spec: NodeSpec,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  /** The gateway's base URL (only meaningful for a node with the gateway part). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined && !hasExited(this.process.child);
  }

  /** Resolves once the broker has started all its services (and, for a gateway, /health answers 2xx). */
  async start(timeoutMs = 45_000): Promise<void> {
    if (this.running) throw new Error(`${this.name} is already running`);
    if (this.process) this.note('started again');
    const proc = startNode('bin/start.js', this.env);
    this.taken = 0;
    track(proc.child);
    this.process = proc;
    await eventually(
      () => {
        if (hasExited(proc.child)) throw new Error(`${this.name} exited while starting:\n${tail(proc.output())}`);
        return /started successfully/.test(proc.output()) ? true : undefined;
      },
      timeoutMs,
      100,
      () => `${this.name} did not start:\n${tail(proc.output())}`,
    );
    if (this.spec.parts.includes('gateway')) await waitForHttp(`${this.url}/api/v1/health`, timeoutMs);
  }

  /** Sends `signal` and resolves when the process has exited, with how long that took. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit & { afterMs: number }> {
    if (!this.process) throw new Error(`${this.name} was never started`);
    const sentAt = Date.now();
    this.note(`${signal} sent`);
    const exit = await signalAndWait(this.process.child, signal);
    return { ...exit, afterMs: Date.now() - sentAt };
  }

  /** Sends `signal` without waiting, for a test that times the exit itself. */
  signal(signal: NodeJS.Signals): Promise<Exit> {
    if (!this.process) throw new Error(`${this.name} was never started`);
    const exited = exitOf(this.process.child);
    this.note(`${signal} sent`);
    this.process.child.kill(signal);
    return exited;
  }

  async restart(): Promise<void> {
    if (this.running) await this.kill('SIGKILL');
    await this.start();
  }

  log(): string {
    return this.history + (this.process?.output() ?? '').slice(this.taken);
  }

  private note(text: string): void {
    const output = this.process?.output() ?? '';
    this.history += `${output.slice(this.taken)}--- ${text} at ${new Date().toISOString()}\n`;
    this.taken = output.length;
  }
}

function tail(text: string, lines = 30): string {
  return text.split('\n').slice(-lines).join('\n');
}

export class Cluster {
  readonly runId = crypto.randomBytes(4).toString('hex');
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-cluster-'));
  readonly database = `osago_e2e_${this.runId}`;
  readonly nodes = new Map<string, ClusterNode>();
  readonly sandbox: SandboxClient;
  readonly seed: number;
  private readonly dataKey = crypto.randomBytes(32).toString('base64');
  private readonly watchers = new Set<QuoteWatcher>();
  private nats!: ServerProcess;
  private redis!: ServerProcess;
  private sandboxProcess?: NodeProcess;
  private databaseCreated = false;
  private failed = false;
  private natsPort = 0;
  private natsMonitorPort = 0;
  private redisPort = 0;
  private sandboxPort = 0;

  private constructor(readonly options: ClusterOptions) {
    this.seed = process.env.TEST_SEED ? Number(process.env.TEST_SEED) : (options.seed ?? 20261201);
    this.sandbox = new SandboxClient(() => `http://127.0.0.1:${this.sandboxPort}`);
  }

  /** NATS, Redis, the database and the sandbox; nodes come with startNodes(). */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    try {
      await cluster.startInfrastructure();
      return cluster;
    } catch (err) {
      await cluster.close();
      throw err;
    }
  }

  get natsUrl(): string {
    return `nats://127.0.0.1:${this.natsPort}`;
  }

  /**
   * Waits until the workers have recorded the create of each of these quotes (by application, the
   * insurers asked) in the progress bucket: a create still in flight at a fault is repeated by the
   * worker that takes the quote over (README, known limits), which is not what a kill test is about.
   */
  async untilProgressRecorded(quotes: Array<{ applicationId: string; insurers: string[] }>, withinMs = 10_000): Promise<void> {
    const keys = quotes.flatMap((q) => q.insurers.map((code) => progressKey(q.applicationId, code)));
    const nats = await connect({ servers: new URL(this.natsUrl).host });
    try {
      const kv = await nats.jetstream().views.kv('osago_quote_progress', { bindOnly: true });
      let missing = keys;
      await eventually(async () => {
        const present = new Set<string>();
        for await (const key of await kv.keys()) present.add(key);
        missing = keys.filter((k) => !present.has(k));
        return missing.length === 0 ? true : undefined;
      }, withinMs, 50, () => `${missing.length} of ${keys.length} creates not recorded in the progress bucket`);
    } finally {
      await nats.close();
    }
  }

  get redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  get databaseUrl(): string {
    return `postgres://${POSTGRES.user}@${POSTGRES.host}:${POSTGRES.port}/${this.database}`;
  }

  get sandboxUrl(): string {
    return `http://127.0.0.1:${this.sandboxPort}`;
  }

  private async startInfrastructure(): Promise<void> {
    [this.natsPort, this.natsMonitorPort, this.redisPort, this.sandboxPort] = await freePorts(4);
    const natsStore = path.join(this.dir, 'nats');
    this.nats = new ServerProcess('nats', NATS_SERVER, ['-js', '-sd', natsStore, '-a', '127.0.0.1', '-p', String(this.natsPort), '-m', String(this.natsMonitorPort)], this.dir);
    this.redis = new ServerProcess('redis', REDIS_SERVER, ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], this.dir);
    await Promise.all([this.startNats(), this.startRedis(), this.createDatabase(), this.startSandbox()]);
  }

  private async createDatabase(): Promise<void> {
    await psql(`CREATE DATABASE ${this.database}`);
    this.databaseCreated = true;
  }

  private async startSandbox(): Promise<void> {
    const proc = startNode('sandbox/main.js', {
      SANDBOX_PORT: String(this.sandboxPort),
      SANDBOX_LATENCY_SCALE: String(this.options.latencyScale ?? 0.2),
      SANDBOX_SEED: String(this.seed),
      SANDBOX_TRANSIENT_ERRORS: '0',
    });
    track(proc.child);
    this.sandboxProcess = proc;
    await waitForHttp(`${this.sandboxUrl}/sandbox/insurers`);
  }

  /** Starts (or restarts after killNats) nats-server on the same store dir and port. */
  async startNats(): Promise<void> {
    this.nats.start();
    await waitForHttp(`http://127.0.0.1:${this.natsMonitorPort}/healthz`);
  }

  async killNats(): Promise<void> {
    await this.nats.stop('SIGKILL');
  }

  async startRedis(): Promise<void> {
    this.redis.start();
    await eventually(async () => ((await redisAnswersPing(this.redisPort)) ? true : undefined), 10_000, 50, () => `redis did not answer PING:\n${tail(this.redis.log())}`);
  }

  async stopRedis(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.redis.stop(signal);
  }

  /** Starts the nodes at once, as an orchestrator would, and resolves when every one is up. */
  async startNodes(specs: NodeSpec[]): Promise<ClusterNode[]> {
    const ports = await freePorts(specs.length);
    const nodes = specs.map((spec, i) => {
      if (this.nodes.has(spec.name)) throw new Error(`node ${spec.name} already exists`);
      const node = new ClusterNode(spec, ports[i], this.nodeEnv(spec, ports[i]));
      this.nodes.set(spec.name, node);
      return node;
    });
    await Promise.all(nodes.map((node) => node.start()));
    return nodes;
  }

  private nodeEnv(spec: NodeSpec, port: number): Record<string, string> {
    const dataDir = path.join(this.dir, `data-${spec.name}`);
    fs.mkdirSync(dataDir, { recursive: true });
    return {
      TRANSPORTER: this.natsUrl,
      REDIS_URL: this.redisUrl,
      DATABASE_URL: this.databaseUrl,
      SERVICES: spec.parts.join(','),
      NODE_ID: spec.name,
      PORT: String(port),
      INSURERS_URL: this.sandboxUrl,
      QUOTE_DEADLINE_MS: String(this.options.deadlineMs),
      // each node its own directory: a node that wrongly fell back to the embedded store shares nothing
      DATA_DIR: dataDir,
      // the broker's "started successfully" line is how start() knows a node is up
      LOG_LEVEL: 'info',
      // one key for the cluster: each node has its own DATA_DIR, so generated keys would differ
      DATA_KEY: this.dataKey,
      ...this.options.env,
      ...spec.env,
    };
  }

  node(name: string): ClusterNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /** A Socket.IO client on `urls[0]` that moves to the next URL when its gateway goes away. */
  async watcher(urls: string[]): Promise<QuoteWatcher> {
    const watcher = new QuoteWatcher(urls);
    this.watchers.add(watcher);
    await watcher.connect();
    return watcher;
  }

  /** Node states and the last lines of every log, for a failing condition's message. */
  describe(lines = 15): string {
    const parts = [...this.nodes.values()].map((n) => `== ${n.name} (${n.running ? 'running' : 'down'})\n${tail(n.log(), lines)}`);
    return parts.join('\n');
  }

  async close(): Promise<void> {
    try {
      for (const watcher of this.watchers) watcher.close();
      const stops: Promise<unknown>[] = [...this.nodes.values()].filter((n) => n.running).map((n) => n.kill('SIGKILL'));
      if (this.sandboxProcess) stops.push(this.sandboxProcess.kill('SIGKILL'));
      await Promise.all(stops);
      await Promise.all([this.nats?.running && this.nats.stop('SIGKILL'), this.redis?.running && this.redis.stop('SIGKILL')]);
      this.writeLogs();
    } finally {
      await this.removeTraces();
    }
  }

  /**
   * Runs a test body; when it fails, the run's logs stay in `dir` (named in the output) for a look
   * afterwards, while the database is dropped as usual.
   */
  async run(body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }

  private async removeTraces(): Promise<void> {
    const keepAll = Boolean(process.env.CLUSTER_KEEP_LOGS);
    try {
      // CLUSTER_KEEP_LOGS keeps the database too: `psql -h 127.0.0.1 -U postgres <database>`, then drop it by hand
      if (this.databaseCreated && !keepAll) await psql(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
    } finally {
      if (keepAll || this.failed) console.log(`cluster logs kept in ${path.join(this.dir, 'logs')}${keepAll && this.databaseCreated ? `, database ${this.database} kept` : ''}`);
      else fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private writeLogs(): void {
    const logs = path.join(this.dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    for (const node of this.nodes.values()) fs.writeFileSync(path.join(logs, `${node.name}.log`), node.log());
    if (this.sandboxProcess) fs.writeFileSync(path.join(logs, 'sandbox.log'), this.sandboxProcess.output());
    if (this.nats) fs.writeFileSync(path.join(logs, 'nats.log'), this.nats.log());
    if (this.redis) fs.writeFileSync(path.join(logs, 'redis.log'), this.redis.log());
  }
}

// ---------------------------------------------------------------------------------------------
// The outside surfaces: REST (CONTRACT §2), the sandbox (§6) and Socket.IO (§3)

export { DEMO_KEY, request, type ApiOptions as RequestOptions } from './http';

export function newApplication(): Application {
  return sampleApplication(todayInMoscow());
}

export interface QuoteView {
  applicationId: string;
  insurer: { code: string; name: string };
  status: string;
  premium?: number;
  reason?: string;
  at: string;
}

export interface ApplicationView {
  id: string;
  status: string;
  deadline: string;
  quotes: QuoteView[];
}

export const FINAL_STATUSES = new Set(['offer', 'declined', 'failed', 'unavailable', 'timeout']);

export function isFinal(quote: { status: string }): boolean {
  return FINAL_STATUSES.has(quote.status);
}

/** POSTs an application as a partner; throws unless it was accepted (202). */
export async function postApplication(baseUrl: string, key: string = DEMO_KEY): Promise<{ id: string; token: string; deadline: string }> {
  const res = await request(baseUrl, 'POST', '/api/v1/applications', newApplication(), { key });
  if (res.status !== 202) throw new Error(`POST /applications answered ${res.status}: ${res.text}`);
  return res.json as { id: string; token: string; deadline: string };
}

export async function getApplication(baseUrl: string, id: string, key: string = DEMO_KEY): Promise<ApplicationView> {
  const res = await request(baseUrl, 'GET', `/api/v1/applications/${id}`, undefined, { key });
  if (res.status !== 200) throw new Error(`GET /applications/${id} answered ${res.status}: ${res.text}`);
  return res.json as ApplicationView;
}

/** Polls GET /applications/{id} on any of `baseUrls` (the first that answers) until it is completed. */
export async function untilCompleted(baseUrls: string[], id: string, timeoutMs: number, key: string = DEMO_KEY): Promise<ApplicationView> {
  let last = 'no answer yet';
  return eventually(
    async () => {
      for (const base of baseUrls) {
        try {
          const app = await getApplication(base, id, key);
          last = `${app.status}: ${app.quotes.map((q) => `${q.insurer.code}=${q.status}`).join(' ')}`;
          return app.status === 'completed' ? app : undefined;
        } catch (err) {
          last = String(err);
        }
      }
      return undefined;
    },
    timeoutMs,
    200,
    () => `application ${id}: ${last}`,
  );
}

export interface SandboxInsurer {
  code: string;
  name: string;
  mode: string;
  calls: number;
  creates: number;
  duplicateCreates: number;
}

export interface SandboxQuote {
  insurer: string;
  reference: string;
  createdAt: string;
  readyAt: string;
  polls: number;
  outcome: string;
}

export interface CallSample {
  askedAt: number;
  answeredAt: number;
  calls: number;
}

export class SandboxClient {
  constructor(private readonly baseUrl: () => string) {}

  async insurers(): Promise<SandboxInsurer[]> {
    const res = await request(this.baseUrl(), 'GET', '/sandbox/insurers', undefined, { key: null });
    if (res.status !== 200 || !Array.isArray(res.json)) throw new Error(`GET /sandbox/insurers answered ${res.status}: ${res.text}`);
    return res.json as SandboxInsurer[];
  }

  async insurer(code: string): Promise<SandboxInsurer> {
    const found = (await this.insurers()).find((i) => i.code === code);
    if (!found) throw new Error(`the sandbox has no insurer ${code}`);
    return found;
  }

  /** Sums a counter over every insurer; throws if the sandbox does not report it. */
  async total(counter: 'calls' | 'creates' | 'duplicateCreates'): Promise<number> {
    const list = await this.insurers();
    return list.reduce((sum, i) => {
      if (typeof i[counter] !== 'number') throw new Error(`GET /sandbox/insurers has no numeric "${counter}": ${JSON.stringify(i)}`);
      return sum + i[counter];
    }, 0);
  }

  async quotes(applicationId: string): Promise<SandboxQuote[]> {
    const res = await request(this.baseUrl(), 'GET', `/sandbox/quotes?applicationId=${encodeURIComponent(applicationId)}`, undefined, { key: null });
    if (res.status !== 200 || !Array.isArray(res.json)) throw new Error(`GET /sandbox/quotes answered ${res.status}: ${res.text}`);
    return res.json as SandboxQuote[];
  }

  /**
   * Reads one insurer's `calls` counter every `everyMs` until stopped. Each sample says when it was
   * asked and answered, so a call counted first in sample i arrived between sample i-1's question
   * and sample i's answer.
   */
  sampleCalls(code: string, everyMs = 50): { stop(): Promise<CallSample[]> } {
    const samples: CallSample[] = [];
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const askedAt = Date.now();
        const { calls } = await this.insurer(code);
        const answeredAt = Date.now();
        samples.push({ askedAt, answeredAt, calls });
        await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (answeredAt - askedAt))));
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        return samples;
      },
    };
  }

  async setMode(code: string, mode: 'normal' | 'down' | 'slow' | 'flaky' | 'ratelimited'): Promise<void> {
    const res = await request(this.baseUrl(), 'PUT', `/sandbox/insurers/${code}/mode`, { mode }, { key: null });
    if (res.status !== 200) throw new Error(`PUT mode of ${code} answered ${res.status}: ${res.text}`);
  }
}

export interface Received {
  /** 1 for the first connection, 2 after the first move to another gateway, … */
  connection: number;
  gateway: string;
  event: 'quote' | 'completed';
  applicationId: string;
  data: QuoteView & { quotes?: QuoteView[] };
  receivedAt: number;
}

export interface SubscribeRecord {
  connection: number;
  gateway: string;
  applicationId: string;
  ack: { ok: boolean; snapshot?: { status: string; quotes: QuoteView[] }; error?: unknown };
}

export interface ApplyAck {
  ok: boolean;
  id?: string;
  token?: string;
  deadline?: string;
  error?: { status?: number; detail?: string; title?: string; type?: string };
}

const ACK_TIMEOUT_MS = 20_000;

/**
 * A Socket.IO client as a page would be, that records every `quote` and `completed` it receives
 * (with `on`, so a duplicate is seen). When its gateway goes away it connects to the next URL and
 * subscribes again to every application it knows, with { id, token }, as CONTRACT §3 tells clients to.
 */
export class QuoteWatcher {
  readonly received: Received[] = [];
  readonly subscriptions: SubscribeRecord[] = [];
  /** The applications this client holds a token for, re-subscribed after every move. */
  private readonly tokens = new Map<string, string>();
  private socket?: Socket;
  private urlIndex = 0;
  private closed = false;
  connection = 0;
  /** Resolves when the client has moved and re-subscribed everything after its connection `n - 1` was lost. */
  private moved?: Promise<void>;

  constructor(readonly urls: string[]) {}

  get gateway(): string {
    return this.urls[this.urlIndex];
  }

  async connect(): Promise<void> {
    const url = this.gateway;
    const socket = io(url, { forceNew: true, reconnection: false, timeout: 5_000 });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });
    this.connection += 1;
    const connection = this.connection;
    const record = (event: 'quote' | 'completed') => (data: Received['data']) => {
      this.received.push({ connection, gateway: url, event, applicationId: data.applicationId, data, receivedAt: Date.now() });
    };
    socket.on('quote', record('quote'));
    socket.on('completed', record('completed'));
    socket.on('disconnect', (reason) => {
      if (this.closed || reason === 'io client disconnect') return;
      this.moved = this.moveOn();
    });
    this.socket = socket;
  }

  /** The gateway went away: the next URL, then subscribe again to every application held. */
  private async moveOn(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
      try {
        await this.connect();
        break;
      } catch {
        // that gateway is not up either: a client backs off a little and tries the next one
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await Promise.all([...this.tokens].map(([id, token]) => this.subscribe(id, token)));
  }

  /** Waits for the move that followed the loss of connection `lost` to finish re-subscribing. */
  async untilMovedFrom(lost: number, timeoutMs = 15_000): Promise<void> {
    await eventually(() => (this.connection > lost && this.moved ? true : undefined), timeoutMs, 50, () => `client still on connection ${this.connection}`);
    await this.moved;
  }

  private live(): Socket {
    if (!this.socket?.connected) throw new Error(`client is not connected (connection ${this.connection}, ${this.gateway})`);
    return this.socket;
  }

  async apply(application: unknown = newApplication()): Promise<ApplyAck> {
    const ack = (await this.live().timeout(ACK_TIMEOUT_MS).emitWithAck('apply', application)) as ApplyAck;
    if (ack.ok && ack.id && ack.token) this.tokens.set(ack.id, ack.token);
    return ack;
  }

  async subscribe(id: string, token: string): Promise<SubscribeRecord['ack']> {
    this.tokens.set(id, token);
    const connection = this.connection;
    const gateway = this.gateway;
    const ack = (await this.live().timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe', { id, token })) as SubscribeRecord['ack'];
    this.subscriptions.push({ connection, gateway, applicationId: id, ack });
    return ack;
  }

  applications(): string[] {
    return [...this.tokens.keys()];
  }

  events(applicationId: string, event: 'quote' | 'completed', connection?: number): Received[] {
    return this.received.filter((r) => r.applicationId === applicationId && r.event === event && (connection === undefined || r.connection === connection));
  }

  completedCount(applicationId: string): number {
    return this.events(applicationId, 'completed').length;
  }

  /** The `completed` event's quotes, once it has arrived. */
  completedQuotes(applicationId: string): QuoteView[] | undefined {
    return this.events(applicationId, 'completed')[0]?.data.quotes;
  }

  /** "app insurer status ×n" for every quote state this client was sent more than once on one connection. */
  repeatedStates(): string[] {
    const counts = new Map<string, number>();
    for (const r of this.received) {
      if (r.event !== 'quote') continue;
      const key = `${r.applicationId} ${r.data.insurer.code} ${r.data.status} (connection ${r.connection})`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].filter(([, n]) => n > 1).map(([key, n]) => `${key} ×${n}`);
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }
}

/** `count` ≤ `max`, failing with what was counted (a bare number comparison says too little). */
export function expectAtMost(count: number, max: number, what: string): void {
  expect(count <= max ? 'within bound' : `${count} ${what}, more than ${max}`).toBe('within bound');
}

/** "a ×3, b ×1": how often each value occurs, for failure messages. */
export function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].map(([v, n]) => `${v} ×${n}`).join(', ');
}

/**
 * The quotes that ended `timeout` although their insurer's answer was ready at the sandbox at least
 * `marginMs` before the deadline: answers lost on the way rather than late.
 */
export function lostAnswers(quotes: QuoteView[], records: SandboxQuote[], deadlineMs: number, marginMs = 5_000): string[] {
  const readyAt = new Map(records.map((r) => [r.insurer, Date.parse(r.readyAt)]));
  return quotes
    .filter((q) => q.status === 'timeout' && (readyAt.get(q.insurer.code) ?? Infinity) < deadlineMs - marginMs)
    .map((q) => `${q.applicationId} ${q.insurer.code} ready at ${new Date(readyAt.get(q.insurer.code) ?? 0).toISOString()}, ${deadlineMs - (readyAt.get(q.insurer.code) ?? 0)} ms before the deadline`);
}

/** `promise`'s value, or `fallback` once `ms` have passed (the timer does not outlive the race). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
