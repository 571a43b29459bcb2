/**
 * RFC 9457 problem details for every error a client can see, REST and Socket.IO alike.
 * Unknown errors become a 500 without internals; everything a client caused is a 4xx.
 */
import type { FieldError } from './application/types';
import { isPartUnreachable } from './errors';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  retryAfterSeconds?: number;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const SLUGS: Record<string, string> = {
  VALIDATION_ERROR: 'validation-error',
  UNAUTHORIZED: 'unauthorized',
  NO_TOKEN: 'unauthorized',
  INVALID_TOKEN: 'unauthorized',
  NOT_FOUND: 'not-found',
  METHOD_NOT_ALLOWED: 'method-not-allowed',
  CONFLICT: 'conflict',
  RATE_LIMITED: 'rate-limited',
  BUS_UNAVAILABLE: 'service-unavailable',
};

/** 5xx whose message was written for the caller (no internals in it), so it is shown as the detail. */
const SAFE_SERVER_DETAIL: ReadonlySet<string> = new Set(['BUS_UNAVAILABLE']);

interface ErrorLike {
  message?: string;
  code?: unknown;
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  data?: unknown;
}

function statusOf(err: ErrorLike): number {
  for (const candidate of [err.code, err.status, err.statusCode]) {
    if (typeof candidate === 'number' && candidate >= 400 && candidate <= 599) return candidate;
  }
  return 500;
}

/** fastest-validator reports `[{ field, message }]`; ours carry `{ errors }`. */
function fieldErrors(data: unknown): FieldError[] | undefined {
  const list = Array.isArray(data) ? data : (data as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(list)) return undefined;
  return list
    .filter((e): e is { field?: unknown; message?: unknown } => typeof e === 'object' && e !== null)
    .map((e) => ({ field: String(e.field ?? ''), message: String(e.message ?? 'invalid value') }));
}

export function toProblem(error: unknown): Problem {
  const err = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ErrorLike;
  let status = statusOf(err);
  const type = typeof err.type === 'string' ? err.type : '';
  const errors = fieldErrors(err.data);
  // parameter validation (422 in Moleculer) is still bad input: the contract says 400
  if (status === 422) status = 400;
  // a part of the system that is not up (yet, or any more) is our outage, not an unknown resource:
  // Moleculer says 404 for a service it cannot find, the caller should hear "try again"
  if (isPartUnreachable(err)) status = 503;
  if (type === 'entity.parse.failed' || type === 'INVALID_REQUEST_BODY') status = 400;
  if (type === 'entity.too.large') status = 413;

  const problem: Problem = {
    type: `/problems/${SLUGS[type] ?? (status === 413 ? 'payload-too-large' : status === 400 ? 'bad-request' : `http-${status}`)}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: status >= 500 && !SAFE_SERVER_DETAIL.has(type) ? 'The request could not be completed; please try again' : err.message || TITLES[status] || 'Error',
  };
  if (type === 'entity.parse.failed' || type === 'INVALID_REQUEST_BODY') problem.detail = 'The request body is not valid JSON';
  if (status === 413) problem.detail = 'The request body is larger than 1 MB';
  if (errors && status === 400) problem.errors = errors;
  const retryAfter = (err.data as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (status === 429 && typeof retryAfter === 'number') problem.retryAfterSeconds = retryAfter;
  return problem;
}
