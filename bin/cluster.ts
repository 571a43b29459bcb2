/**
 * A whole cluster on one machine (`npm run cluster`): the insurer sandbox, two `applications`, two
 * `insurers`, one `offers-stream` and two gateways, each a child process running dist/bin/start.js
 * with its own SERVICES and NODE_ID, over the NATS, Redis and PostgreSQL of TRANSPORTER, REDIS_URL
 * and DATABASE_URL (defaults: the local servers). The database is created when missing.
 *
 * Each line a node prints is prefixed with its NODE_ID. A node that dies is reported, not
 * restarted: this is where operators practise kills (`kill -9 <pid>` from the table printed at
 * start). Ctrl-C, SIGTERM or SIGHUP stops every node with SIGTERM, its graceful shutdown; one still
 * running after STOP_TIMEOUT_MS is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import postgres from 'postgres';
import { keyringFor } from '../lib/personal-data/key-file';
import { loadConfig, ConfigError, type AppConfig } from '../lib/config';
import { projectRoot } from '../lib/project-root';

const DEFAULTS = {
  TRANSPORTER: 'nats://127.0.0.1:4222',
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/osago',
};
const STOP_TIMEOUT_MS = 20_000; // a worker may take 15 s to hand back its quotes
const READY_TIMEOUT_MS = 60_000;

interface NodeSpec {
  nodeId: string;
  services: string;
  env?: Record<string, string>;
  url?: string; // where a person reaches what it serves
}

interface RunningNode extends NodeSpec {
  child: ChildProcess;
  exited: Promise<string>; // how it ended: "exited with code 0", "killed by SIGKILL"
  readonly running: boolean;
}

function topology(config: AppConfig): NodeSpec[] {
  const gateway = (n: number, port: number): NodeSpec => ({
    nodeId: `gateway-${n}`,
    services: 'gateway',
    env: { PORT: String(port) },
    url: `http://${config.host}:${port}/`,
  });
  return [
    { nodeId: 'sandbox', services: 'sandbox', url: `http://${config.host}:${config.sandboxPort}/sandbox/insurers` },
    { nodeId: 'applications-1', services: 'applications' },
    { nodeId: 'applications-2', services: 'applications' },
    { nodeId: 'insurers-1', services: 'insurers' },
    { nodeId: 'insurers-2', services: 'insurers' },
    { nodeId: 'offers-stream', services: 'offers-stream' },
    gateway(1, config.port),
    gateway(2, config.port + 1),
  ];
}

/** Fails early and by name when a server the nodes need is not there, instead of eight nodes retrying. */
async function reachable(what: string, url: string, defaultPort: number): Promise<void> {
  const { hostname, port } = new URL(url);
  const address = { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) || defaultPort };
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(address, () => socket.end(resolve));
    socket.setTimeout(3_000, () => socket.destroy(new Error('no answer in 3 s')));
    socket.once('error', (err) => reject(new Error(`${what} is not reachable at ${address.host}:${address.port}: ${err.message}`)));
  });
}

/** Creates DATABASE_URL's database unless it exists, connected to the server's `postgres` database. */
async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const server = new URL(databaseUrl);
  const database = decodeURIComponent(server.pathname.slice(1));
  server.pathname = '/postgres';
  const sql = postgres(server.toString(), { max: 1, connect_timeout: 5, onnotice: () => undefined });
  try {
    const found = await sql`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (found.length > 0) return false;
    await sql`CREATE DATABASE ${sql(database)}`;
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return false; // created meanwhile by someone else
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`PostgreSQL (DATABASE_URL) at ${server.host}: cannot check or create the database "${database}": ${reason}`, { cause: err });
  } finally {
    await sql.end();
  }
}

function prefixLines(stream: NodeJS.ReadableStream | null, label: string, out: NodeJS.WriteStream): void {
  if (!stream) return;
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${label} | ${line}\n`));
}

function startNode(spec: NodeSpec, env: NodeJS.ProcessEnv, labelWidth: number): RunningNode {
  const root = projectRoot();
  const child = spawn(process.execPath, ['--disable-warning=DEP0174', path.join(root, 'dist', 'bin', 'start.js')], {
    cwd: root,
    env: { ...env, ...spec.env, SERVICES: spec.services, NODE_ID: spec.nodeId },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so that a Ctrl-C reaches this launcher only and each node gets exactly
    // one SIGTERM, from stopAll (a second signal would cut a node's graceful shutdown short)
    detached: true,
  });
  const label = spec.nodeId.padEnd(labelWidth);
  prefixLines(child.stdout, label, process.stdout);
  prefixLines(child.stderr, label, process.stderr);
  let running = true;
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => {
      running = false;
      resolve(`failed to start: ${err.message}`);
    });
    // 'close' rather than 'exit': the node's last lines are printed by then
    child.once('close', (code, signal) => {
      running = false;
      resolve(signal ? `killed by ${signal}` : `exited with code ${code}`);
    });
  });
  return {
    ...spec,
    child,
    exited,
    get running() {
      return running;
    },
  };
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** Resolves once every running gateway says it is ready (applications and offers-stream reachable). */
async function gatewaysReady(gateways: RunningNode[]): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const pending = new Set(gateways);
  while (Date.now() < deadline) {
    for (const gateway of pending) {
      if (!gateway.running || (await answers200(new URL('/api/v1/health', gateway.url).toString()))) pending.delete(gateway);
    }
    if (pending.size === 0) return gateways.some((gateway) => gateway.running);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

const LAUNCHER = 'cluster';
let labelWidth = LAUNCHER.length; // widened to the longest NODE_ID, so that every ` | ` lines up

function say(message: string): void {
  console.log(`${LAUNCHER.padEnd(labelWidth)} | ${message}`);
}

async function main(): Promise<void> {
  // a node's own defaults (one process, embedded store) give way to the local servers
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(DEFAULTS)) env[name] ||= value;
  const config = loadConfig(env);
  // the nodes share DATA_DIR: the key generated there (without DATA_KEY) is made once, before any starts
  keyringFor(config.personalData.keys, config.dataDir, say);
  await reachable('NATS (TRANSPORTER)', config.transporter!, 4222);
  await reachable('Redis (REDIS_URL)', config.redisUrl!, 6379);
  const created = await ensureDatabase(config.databaseUrl!);

  const specs = topology(config);
  labelWidth = Math.max(labelWidth, ...specs.map((spec) => spec.nodeId.length));
  const nodes = specs.map((spec) => startNode(spec, env, labelWidth));
  say(`${nodes.length} nodes on ${config.transporter}, ${config.redisUrl}, ${config.databaseUrl!.replace(/:[^:@/]*@/, ':***@')}${created ? ' (database created)' : ''}`);
  for (const node of nodes) {
    say(`  ${node.nodeId.padEnd(labelWidth)}  pid ${String(node.child.pid).padEnd(7)}  SERVICES=${node.services}${node.url ? `  ${node.url}` : ''}`);
  }

  let stopping = false;
  for (const node of nodes) {
    void node.exited.then((how) => {
      if (stopping) return;
      const left = nodes.filter((other) => other.running);
      say(`${node.nodeId} (pid ${node.child.pid}) ${how}; not restarted. Running: ${left.map((other) => other.nodeId).join(', ') || 'none'}`);
      if (left.length === 0) process.exit(1);
    });
  }

  const stopAll = async (signal: string) => {
    if (stopping) {
      say(`${signal}: already stopping; nodes still running after ${STOP_TIMEOUT_MS / 1000} s are killed`);
      return;
    }
    stopping = true;
    const running = nodes.filter((node) => node.running);
    say(`${signal}: stopping ${running.length} nodes`);
    for (const node of running) node.child.kill('SIGTERM');
    const overdue = setTimeout(() => {
      for (const node of running.filter((n) => n.running)) {
        say(`${node.nodeId} did not stop in ${STOP_TIMEOUT_MS / 1000} s: SIGKILL`);
        node.child.kill('SIGKILL');
      }
    }, STOP_TIMEOUT_MS);
    const endings = await Promise.all(running.map((node) => node.exited));
    clearTimeout(overdue);
    running.forEach((node, n) => say(`${node.nodeId} ${endings[n]}`));
    process.exit(endings.every((how) => how === 'exited with code 0') ? 0 : 1);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(signal));
  // should this launcher itself fail, its detached nodes must not outlive it
  process.once('exit', () => nodes.filter((node) => node.running).forEach((node) => node.child.kill('SIGTERM')));

  const gateways = nodes.filter((node) => node.services === 'gateway');
  if (await gatewaysReady(gateways)) {
    say(`ready: ${gateways.filter((g) => g.running).map((g) => g.url).join(' and ')} (partner key header X-Api-Key); Ctrl-C stops all`);
  } else if (!stopping) {
    say(`the gateways were not ready within ${READY_TIMEOUT_MS / 1000} s; see the nodes' output above`);
  }
}

main().catch((err: unknown) => {
  console.error(`${LAUNCHER} | ${err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
