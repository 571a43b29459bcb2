/**
 * Errors that cross service boundaries. They extend Moleculer's classes so `code`, `type` and
 * `data` survive the transporter; callers branch on the stable `type` string, never on
 * `instanceof` (a remote error arrives as a plain MoleculerError with the same type).
 */
import { Errors } from 'moleculer';
import type { FieldError } from './application/types';

export const ErrorType = {
  validation: 'VALIDATION_ERROR',
  badRequest: 'BAD_REQUEST',
  unauthorized: 'UNAUTHORIZED',
  notFound: 'NOT_FOUND',
  methodNotAllowed: 'METHOD_NOT_ALLOWED',
  conflict: 'CONFLICT',
  rateLimited: 'RATE_LIMITED',
  insurerTransient: 'INSURER_TRANSIENT',
  insurerCallTimeout: 'INSURER_CALL_TIMEOUT',
  insurerThrottled: 'INSURER_THROTTLED',
  insurerRejected: 'INSURER_REJECTED',
  insurerProtocol: 'INSURER_PROTOCOL',
  deadlinePassed: 'DEADLINE_PASSED',
  interrupted: 'INTERRUPTED',
  busUnavailable: 'BUS_UNAVAILABLE',
} as const;

export class ApplicationValidationError extends Errors.MoleculerClientError {
  constructor(errors: FieldError[], detail = 'The application has invalid fields') {
    super(detail, 400, ErrorType.validation, { errors });
  }
}

/** A request's header or parameter is wrong (not the application: that is ApplicationValidationError). */
export class BadRequestError extends Errors.MoleculerClientError {
  constructor(detail: string, errors: FieldError[]) {
    super(detail, 400, ErrorType.badRequest, { errors });
  }
}

export class UnauthorizedError extends Errors.MoleculerClientError {
  constructor(detail = 'A valid X-Api-Key header is required') {
    super(detail, 401, ErrorType.unauthorized);
  }
}

export class NotFoundError extends Errors.MoleculerClientError {
  constructor(detail = 'Not found') {
    super(detail, 404, ErrorType.notFound);
  }
}

/** `data.allow`: the methods the path answers, for the Allow header. */
export class MethodNotAllowedError extends Errors.MoleculerClientError {
  constructor(method: string, allow: readonly string[]) {
    super(`${method} is not allowed here; allowed: ${allow.join(', ')}`, 405, ErrorType.methodNotAllowed, { allow: [...allow] });
  }
}

export class ConflictError extends Errors.MoleculerClientError {
  constructor(detail: string) {
    super(detail, 409, ErrorType.conflict);
  }
}

export class RateLimitedError extends Errors.MoleculerClientError {
  constructor(retryAfterSeconds: number) {
    super('Too many new applications; try again later', 429, ErrorType.rateLimited, { retryAfterSeconds });
  }
}

/** 5xx, a dropped connection, a call that ran out of time: worth Moleculer's retry and counted by the breaker. */
export class InsurerTransientError extends Errors.MoleculerRetryableError {
  constructor(message: string, data: { insurer: string; status?: number }, type: string = ErrorType.insurerTransient) {
    super(message, 502, type, data);
  }
}

/** Our own bound on one HTTP call fired: the request was aborted, not left running. */
export class InsurerCallTimeoutError extends InsurerTransientError {
  constructor(insurer: string, timeoutMs: number) {
    super(`${insurer} did not answer within ${timeoutMs} ms`, { insurer }, ErrorType.insurerCallTimeout);
  }
}

/**
 * 429 or 503 with a Retry-After: the insurer asks us to wait. Not retried by Moleculer (its delay
 * would ignore the hint); the quote loop waits the hint and tries again while the deadline allows.
 */
export class InsurerThrottledError extends Errors.MoleculerError {
  constructor(insurer: string, status: number, retryAfterMs: number | undefined) {
    super(`${insurer} answered ${status}`, 503, ErrorType.insurerThrottled, { insurer, status, retryAfterMs });
  }
}

/** The insurer refused our request (4xx other than 429): retrying the same request cannot help. */
export class InsurerRejectedError extends Errors.MoleculerError {
  constructor(insurer: string, status: number, detail?: string) {
    super(`${insurer} refused the request with ${status}${detail ? `: ${detail}` : ''}`, 502, ErrorType.insurerRejected, {
      insurer,
      status,
    });
  }
}

/** The insurer's answer did not fit its own dialect. */
export class InsurerProtocolError extends Errors.MoleculerError {
  constructor(insurer: string, message: string) {
    super(`${insurer}: ${message}`, 502, ErrorType.insurerProtocol, { insurer });
  }
}

export class DeadlinePassedError extends Errors.MoleculerError {
  constructor(insurer: string) {
    super(`the application's deadline passed before ${insurer} could be asked`, 504, ErrorType.deadlinePassed, { insurer });
  }
}

/** The node is stopping; the work is handed back (redelivered, or re-asked after a restart). */
export class InterruptedError extends Errors.MoleculerError {
  constructor(what: string) {
    super(`${what} interrupted: this node is stopping`, 503, ErrorType.interrupted);
  }
}

/**
 * A durable message could not be published within its retry budget (NATS unreachable). The caller
 * is told plainly, rather than the message being dropped: the application was not taken.
 */
export class BusUnavailableError extends Errors.MoleculerRetryableError {
  constructor(channel: string, cause: string) {
    super('The system cannot take this request right now; please try again in a few seconds', 503, ErrorType.busUnavailable, { channel, cause });
  }
}

/** Moleculer's errors for a part of the system that is not up (yet, or any more): an outage to retry. */
export function isPartUnreachable(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return type === 'SERVICE_NOT_FOUND' || type === 'SERVICE_NOT_AVAILABLE';
}
