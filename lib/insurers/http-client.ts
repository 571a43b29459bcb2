/**
 * One insurer's HTTP connection pool. Every call is bounded by an AbortSignal that really closes
 * the request: a Moleculer timeout alone would leave the handler (and the socket) running on.
 * Non-2xx answers become typed errors so retry, breaker and quote loop can tell them apart.
 */
import { Pool } from 'undici';
import type { InsurerHttpRequest } from './adapter';
import { parseRetryAfter } from './retry-after';
import type { Cancellation } from '../stop-signal';
import {
  InsurerCallTimeoutError,
  InsurerProtocolError,
  InsurerRejectedError,
  InsurerThrottledError,
  InsurerTransientError,
  InterruptedError,
} from '../errors';

export interface InsurerHttpClientOptions {
  code: string;
  baseUrl: string; // e.g. http://127.0.0.1:4000/insurers/sever-shield
  connections?: number;
}

export class InsurerHttpClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  readonly code: string;

  constructor(options: InsurerHttpClientOptions) {
    const url = new URL(options.baseUrl);
    this.code = options.code;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: options.connections ?? 64, keepAliveTimeout: 30_000 });
  }

  /** `cancel` aborts the call from outside (the node is stopping). */
  async send(request: InsurerHttpRequest, timeoutMs: number, cancel?: Cancellation): Promise<unknown> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const forgetCancel = cancel?.onStop(() => abort.abort());
    let answer: { status: number; retryAfter: string | string[] | undefined; text: string };
    try {
      const response = await this.pool.request({
        method: request.method,
        path: this.basePath + request.path,
        headers: requestHeaders(request),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: abort.signal,
      });
      answer = { status: response.statusCode, retryAfter: response.headers['retry-after'], text: await response.body.text() };
    } catch (err) {
      if (cancel?.aborted) throw new InterruptedError(`${this.code} call`);
      if (abort.signal.aborted) throw new InsurerCallTimeoutError(this.code, timeoutMs);
      throw new InsurerTransientError(`${this.code}: ${(err as Error).message || 'connection failed'}`, { insurer: this.code });
    } finally {
      clearTimeout(timer);
      forgetCancel?.();
    }
    return this.interpret(answer.status, answer.retryAfter, answer.text);
  }

  /** Drops open connections at once: in-flight calls were already cancelled by the shutdown signal. */
  close(): Promise<void> {
    return this.pool.destroy();
  }

  private interpret(status: number, retryAfter: string | string[] | undefined, text: string): unknown {
    if (status >= 200 && status < 300) {
      try {
        return text === '' ? undefined : JSON.parse(text);
      } catch {
        throw new InsurerProtocolError(this.code, `answered ${status} with a body that is not JSON`);
      }
    }
    if (status === 429 || status === 503) throw new InsurerThrottledError(this.code, status, parseRetryAfter(retryAfter));
    if (status >= 500) throw new InsurerTransientError(`${this.code} answered ${status}`, { insurer: this.code, status });
    throw new InsurerRejectedError(this.code, status, text.slice(0, 200));
  }
}

/** The dialect's own headers first, so it cannot take the JSON ones away by accident. */
function requestHeaders(request: InsurerHttpRequest): Record<string, string> {
  const json: Record<string, string> = request.body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' };
  return { ...request.headers, ...json };
}
