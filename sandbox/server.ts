/** The sandbox's HTTP server: routes /insurers/{code}/… to each simulated insurer, /sandbox/… to admin. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INSURERS } from '../lib/insurers/catalog';
import { handleAdmin } from './admin';
import { serverDialect, type Reply } from './dialects';
import { segment } from './dialects/decode';
import { BodyTooLarge, jsonError, readBody, send, splitUrl } from './http';
import { todayInMoscow } from '../lib/dates';
import { SimulatedInsurer, type SimulationEnv } from './insurer';
import { profileFor } from './profiles';
import { insurerRandom } from './random';
import { isInsurerMode, type InsurerMode, type Sandbox, type SandboxOptions } from './types';

export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const latencyScale = options.latencyScale ?? 1;
  if (!Number.isFinite(latencyScale) || latencyScale < 0) throw new RangeError(`latencyScale must be ≥ 0, got ${latencyScale}`);
  const { seed, random } = options;
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new RangeError(`seed must be a whole number ≥ 0, got ${seed}`);

  const timers = new Set<NodeJS.Timeout>();
  const env: SimulationEnv = {
    latencyScale,
    transientErrors: options.transientErrors ?? true,
    today: options.today ?? (() => todayInMoscow()),
    delay: (ms) =>
      ms <= 0
        ? Promise.resolve()
        : new Promise((resolve) => {
            const t = setTimeout(() => {
              timers.delete(t);
              resolve();
            }, ms);
            timers.add(t);
          }),
  };

  const insurers = new Map<string, SimulatedInsurer>();
  for (const def of options.insurers ?? INSURERS) {
    if (insurers.has(def.code)) throw new Error(`insurer ${def.code} listed twice`);
    insurers.set(def.code, new SimulatedInsurer(def, profileFor(def.code), serverDialect(def.dialect), env, random ?? insurerRandom(def.code, seed)));
  }
  const list = () => [...insurers.values()].map((i) => i.state());
  const quotes = (applicationId: string) => [...insurers.values()].flatMap((i) => i.quotesFor(applicationId));
  const reset = () => insurers.forEach((i) => i.reset());

  async function route(req: IncomingMessage): Promise<Reply> {
    const { path, query } = splitUrl(req.url);
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const m = /^\/insurers\/([^/]+)(\/.*)?$/.exec(path);
    if (m) {
      const code = segment(m[1]);
      const insurer = code === undefined ? undefined : insurers.get(code);
      if (!insurer) return jsonError(404, `no insurer ${m[1]}`);
      return insurer.handle({ method, path: m[2] ?? '/', query, headers: req.headers, body });
    }
    if (path.startsWith('/sandbox/')) return handleAdmin({ method, path, query, body }, { insurers, list, quotes, reset });
    return jsonError(404, `no route ${method} ${path}`);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req).then(
      (reply) => send(res, reply),
      (e: unknown) => {
        if (e instanceof BodyTooLarge) return send(res, jsonError(413, 'body too large'));
        if (req.destroyed) return; // the client went away mid-body
        console.error('sandbox: unexpected error', e);
        send(res, jsonError(500, 'sandbox error'));
      },
    );
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        // a benchmark opens thousands of sockets at once; the default backlog of 511 overflows and
        // the kernel's dropped handshakes surface as ECONNRESET in the client
        server.listen({ port, host, backlog: 4096 }, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // keep-alive clients (fetch keeps sockets) would otherwise hold close() open
        server.closeAllConnections();
      });
    },
    setMode(code: string, mode: InsurerMode) {
      const insurer = insurers.get(code);
      if (!insurer) throw new Error(`no insurer ${code}`);
      if (!isInsurerMode(mode)) throw new Error(`no mode ${String(mode)}`);
      insurer.mode = mode;
    },
    list,
    quotes,
    reset,
  };
}
