/** Plain node:http plumbing: bounded body reading and JSON replies that never throw. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './dialects';

const MAX_BODY_BYTES = 256 * 1024;

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        // stop buffering but let the 413 go out before the socket closes
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, reply: Reply): void {
  // a client that hung up during a simulated delay is not an error worth crashing over
  if (res.destroyed || res.writableEnded) return;
  const payload = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export function jsonError(status: number, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: message, status }, headers };
}

/** Path and query without `new URL`, which would read `//host/x` as a host. */
export function splitUrl(raw: string | undefined): { path: string; query: URLSearchParams } {
  const url = raw ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: new URLSearchParams() } : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}
