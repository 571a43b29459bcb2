/** A nats-server with JetStream of the test's own: a free port, a temporary store, restartable on both. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './processes';
import { eventually } from './wait';

export class OwnNatsServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly storeDir: string,
  ) {}

  static async start(): Promise<OwnNatsServer> {
    const [port] = await freePorts(1);
    const server = new OwnNatsServer(port, fs.mkdtempSync(path.join(os.tmpdir(), 'osago-nats-')));
    await server.restart();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts it (again) on the same port and store, resolving once it accepts connections. */
  async restart(): Promise<void> {
    this.child = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    await eventually(() => new Promise<true | undefined>((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(undefined));
    }), 10_000, 50, () => `nats-server did not listen on ${this.port}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}
