/**
 * The HTTP floor: the client CPU of one keep-alive undici call to a bare node:http server, costed
 * in the bench's own process, on the same machine and in the same run as the figures it is set
 * against. The server is this file forked into a child, so process.cpuUsage() counts the client only.
 * The figure is the median of five rounds after a warm-up.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import { Pool } from 'undici';

// after only 2 000 the client was still warming up: its next 20 000 calls cost about twice the later ones
const WARM_UP_CALLS = 20_000;
const MEASURED_CALLS = Number(process.env.BENCH_FLOOR_CALLS ?? 20_000);
// one window swung between 35 and 105 µs per call on this shared box: the median of several is steadier
const ROUNDS = 5;
// about the size of an insurer's "still processing" answer to a poll
const ANSWER = JSON.stringify({ id: '6f1c2a9e-3b7d-4c1e-9a55-0d2f7e8b4c31', status: 'processing', retryAfterMs: 100 });

export interface HttpFloor {
  calls: number;
  cpuUsPerCall: number;
  wallUsPerCall: number;
}

export async function measureHttpFloor(): Promise<HttpFloor> {
  const server = fork(__filename, ['serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', (m) => resolve(Number(m)));
      server.once('exit', (code) => reject(new Error(`the floor's server exited with ${code}`)));
    });
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1, keepAliveTimeout: 30_000 });
    const call = async () => {
      const response = await pool.request({ method: 'GET', path: '/quote', headers: { accept: 'application/json' } });
      JSON.parse(await response.body.text());
    };
    for (let i = 0; i < WARM_UP_CALLS; i++) await call();
    const rounds: Array<{ cpuUs: number; wallUs: number }> = [];
    const perRound = Math.ceil(MEASURED_CALLS / ROUNDS);
    for (let r = 0; r < ROUNDS; r++) {
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      for (let i = 0; i < perRound; i++) await call();
      const cpu = process.cpuUsage(cpuBefore);
      rounds.push({ cpuUs: (cpu.user + cpu.system) / perRound, wallUs: ((performance.now() - wallBefore) * 1000) / perRound });
    }
    await pool.close();
    return {
      calls: perRound * ROUNDS,
      cpuUsPerCall: +median(rounds.map((r) => r.cpuUs)).toFixed(1),
      wallUsPerCall: +median(rounds.map((r) => r.wallUs)).toFixed(1),
    };
  } finally {
    server.kill('SIGTERM');
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function serve(): void {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) });
    res.end(ANSWER);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address ? address.port : 0);
  });
}

if (require.main === module && process.argv[2] === 'serve') serve();
