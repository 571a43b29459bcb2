/**
 * The insurer call policy in one place: what Moleculer's retry repeats, what its circuit breaker
 * counts, and the guard options (timeout, retry, bulkhead) every insurer action carries. The broker
 * options (moleculer.config.ts) and the insurer services only read from here.
 */
import type { CircuitBreakerSettings, InsurerCallSettings } from '../config';
import { ErrorType } from '../errors';

const BREAKER_COUNTED: ReadonlySet<string> = new Set([
  ErrorType.insurerTransient,
  ErrorType.insurerCallTimeout,
  ErrorType.insurerThrottled,
]);

/**
 * What the circuit breaker counts as the insurer failing. A decline or our bad input is not, and
 * neither is a 429: an insurer that limits our rate is up, and opening its circuit would turn a
 * short wait (its Retry-After) into `unavailable` for every customer.
 */
export function isInsurerFailure(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { type, data } = err as { type?: string; data?: { status?: number; retryPending?: boolean } };
  if (type === ErrorType.insurerThrottled && data?.status === 429) return false;
  // Moleculer's breaker sits inside its retry and sees every attempt; an attempt that will be
  // retried is not yet the call's outcome, so only the last one counts (see markAttempt)
  if (data?.retryPending) return false;
  return BREAKER_COUNTED.has(type ?? '');
}

/** What Moleculer's retry may repeat at once: transient faults only, never a throttle or a refusal. */
export function isRetryableInsurerFault(err: unknown): boolean {
  const type = (err as { type?: string } | null)?.type;
  return type === ErrorType.insurerTransient || type === ErrorType.insurerCallTimeout;
}

/**
 * Tells the breaker whether Moleculer's retry will try this call again. The retry middleware keeps
 * the attempt number on the context (`_retryAttempts`, 0 on the first try).
 */
export function markAttempt(err: unknown, attempt: number, retries: number): unknown {
  if (isRetryableInsurerFault(err) && attempt < retries) {
    const withData = err as { data?: Record<string, unknown> };
    withData.data = { ...withData.data, retryPending: true };
  }
  return err;
}

/** The attempt number Moleculer's retry middleware keeps on a context (0 on the first try). */
export function retryAttemptOf(ctx: unknown): number {
  return (ctx as { _retryAttempts?: number })._retryAttempts ?? 0;
}

/**
 * Broker-level breaker options. Enabled at broker level on purpose: Moleculer only resets a
 * breaker's counting window when it is enabled there; `check` narrows it to insurer failures, so
 * no other action is ever tripped.
 */
export function breakerOptions(cb: CircuitBreakerSettings) {
  return {
    enabled: true,
    threshold: cb.threshold,
    minRequestCount: cb.minRequestCount,
    windowTime: cb.windowTimeSec,
    halfOpenTime: cb.halfOpenTimeMs,
    check: isInsurerFailure,
  };
}

/** The options an insurer's `submit` and `poll` actions carry. */
export function insurerActionGuard(calls: InsurerCallSettings) {
  return {
    timeout: calls.callTimeoutMs + 1_000, // a backstop only: our AbortSignal fires first and counts for the breaker
    retryPolicy: {
      enabled: true,
      retries: calls.retry.retries,
      delay: calls.retry.delayMs,
      maxDelay: calls.retry.maxDelayMs,
      factor: calls.retry.factor,
      check: isRetryableInsurerFault,
    },
    bulkhead: { enabled: true, concurrency: calls.bulkheadConcurrency, maxQueueSize: calls.bulkheadQueueSize },
  };
}
