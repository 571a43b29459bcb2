/**
 * One HTTP exchange with an insurer inside a guarded action: bounded by the call timeout and by the
 * application's deadline, recorded in the recent figures, and marked for the breaker (call-policy).
 */
import type { CallFigures } from '../../lib/insurers/call-figures';
import type { InsurerHttpClient } from '../../lib/insurers/http-client';
import type { InsurerHttpRequest } from '../../lib/insurers/adapter';
import { WireFormatError } from '../../lib/insurers/adapter';
import { markAttempt } from '../../lib/insurers/call-policy';
import { DeadlinePassedError, ErrorType, InsurerProtocolError } from '../../lib/errors';
import type { Cancellation } from '../../lib/stop-signal';

export interface ExchangeContext {
  code: string;
  client: InsurerHttpClient;
  figures: CallFigures;
  callTimeoutMs: number;
  retries: number;
  cancel: Cancellation; // the node is stopping
  /** A 429 with Retry-After: the insurer asked every caller to wait. */
  onRateLimited(retryAfterMs: number): void;
}

export interface Exchange<T> {
  request: InsurerHttpRequest;
  parse(body: unknown): T;
}

/**
 * A call still in flight at the deadline is left to finish (or be cut) this long after it: its answer
 * no longer counts, and cutting thousands of calls at the very moment the deadline sweep has to
 * complete their applications would put that CPU work in front of the sweep.
 */
export const PAST_DEADLINE_MS = 2_000;

export async function exchange<T>(on: ExchangeContext, attempt: number, deadlineMs: number, what: Exchange<T>): Promise<T> {
  try {
    return await exchangeOnce(on, deadlineMs, what);
  } catch (err) {
    const { type, data } = err as { type?: string; data?: { status?: number; retryAfterMs?: number } };
    if (type === ErrorType.insurerThrottled && data?.status === 429 && data.retryAfterMs) on.onRateLimited(data.retryAfterMs);
    throw markAttempt(err, attempt, on.retries);
  }
}

async function exchangeOnce<T>(on: ExchangeContext, deadlineMs: number, what: Exchange<T>): Promise<T> {
  const untilDeadline = deadlineMs - Date.now();
  if (untilDeadline <= 0) throw new DeadlinePassedError(on.code);
  const budget = Math.min(on.callTimeoutMs, untilDeadline + PAST_DEADLINE_MS);
  const started = Date.now();
  const ended = on.figures.begin();
  let body: unknown;
  try {
    body = await on.client.send(what.request, budget, on.cancel);
  } catch (err) {
    ended();
    // cut short by the application's deadline, not by the insurer's slowness: not the insurer's failure
    if ((err as { type?: string }).type === ErrorType.insurerCallTimeout && budget < on.callTimeoutMs) throw new DeadlinePassedError(on.code);
    on.figures.record(false, Date.now() - started, callErrorText(err));
    throw err;
  }
  ended();
  on.figures.record(true, Date.now() - started);
  try {
    return what.parse(body);
  } catch (err) {
    if (err instanceof WireFormatError) throw new InsurerProtocolError(on.code, err.message);
    throw err;
  }
}

/** What an operator reads of a failed call: our error's type and message (never the request's data). */
function callErrorText(err: unknown): string {
  const { type, message } = err as { type?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(err);
  return typeof type === 'string' ? `${type}: ${text}` : text;
}
