/** Real node processes from the built dist/, for tests that kill and restart them. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../lib/project-root';
import { eventually } from './wait';

const ROOT = projectRoot();

/** Distinct free ports: every probe stays open until all are taken, so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export interface NodeProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startNode(script: 'bin/start.js' | 'sandbox/main.js', env: Record<string, string>): NodeProcess {
  let output = '';
  const nodeArgs = (env.NODE_EXTRA_ARGS ?? '').split(' ').filter(Boolean); // e.g. --cpu-prof for profiling a bench
  const child = spawn(process.execPath, ['--disable-warning=DEP0174', ...nodeArgs, path.join(ROOT, 'dist', script)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return {
    child,
    output: () => output,
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      });
    },
  };
}

/** Resolves once `url` answers 2xx, so a stranger on the port (or a node still starting) does not count. */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const answers2xx = async () => {
    try {
      return (await fetch(url)).ok ? true : undefined;
    } catch {
      return undefined; // not listening yet
    }
  };
  await eventually(answers2xx, timeoutMs, 100, () => `${url} did not answer 2xx`);
}
