/** components.headers and components.responses: the answers every operation shares. */
import { problemExamples } from './examples';

type Schema = Record<string, unknown>;

export const headers: Record<string, Schema> = {
  XRateLimitLimit: {
    description: 'New applications this partner key may create per window (one minute)',
    required: true,
    schema: { type: 'integer', minimum: 1 },
  },
  XRateLimitRemaining: {
    description: 'New applications left in the current window',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  XRateLimitReset: {
    description: 'Seconds (a delta, not a timestamp) until the current window resets and the full limit is available again',
    required: true,
    schema: { type: 'integer', minimum: 0 },
  },
  RetryAfter: {
    description: 'Seconds to wait before the next new application is accepted',
    required: true,
    schema: { type: 'integer', minimum: 1 },
  },
  Allow: {
    description: 'The methods this path answers, comma-separated (RFC 9110)',
    required: true,
    schema: { type: 'string', pattern: '^[A-Z]+(, [A-Z]+)*$', examples: ['GET, POST, OPTIONS'] },
  },
};

const header = (name: string) => ({ $ref: `#/components/headers/${name}` });
export const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': header('XRateLimitLimit'),
  'X-RateLimit-Remaining': header('XRateLimitRemaining'),
  'X-RateLimit-Reset': header('XRateLimitReset'),
};

/** On answers that can come before the key is read (a body that is not JSON, or too large): there only for a known key. */
export const RATE_LIMIT_HEADERS_FOR_A_KNOWN_KEY = Object.fromEntries(
  Object.entries({ 'X-RateLimit-Limit': 'XRateLimitLimit', 'X-RateLimit-Remaining': 'XRateLimitRemaining', 'X-RateLimit-Reset': 'XRateLimitReset' })
    .map(([name, component]) => [name, {
      ...headers[component],
      required: false,
      description: `${String(headers[component].description)}; absent when X-Api-Key is missing or unknown`,
    }]),
);

function problem(description: string, examples: Record<string, object>, extraHeaders: Record<string, object> = {}): Schema {
  return {
    description,
    ...(Object.keys(extraHeaders).length > 0 ? { headers: extraHeaders } : {}),
    content: {
      'application/problem+json': {
        schema: { $ref: '#/components/schemas/Problem' },
        examples: Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }])),
      },
    },
  };
}

export const responses: Record<string, Schema> = {
  BadRequest: problem('Bad input: a body that is not JSON, or (with `errors`) every wrong field by its dotted path', {
    validation: problemExamples.validation, notJson: problemExamples.notJson,
  }),
  Unauthorized: problem('X-Api-Key is missing or unknown', { unauthorized: problemExamples.unauthorized }),
  NotFound: problem('Unknown, or not this partner’s', { notFound: problemExamples.notFound }),
  NoRoute: problem('No such route under /api/v1 (whatever the method and key)', { noRoute: problemExamples.noRoute }),
  MethodNotAllowed: problem('A path of this API, a method it does not answer (HEAD included); Allow lists those it does', {
    methodNotAllowed: problemExamples.methodNotAllowed,
  }, { Allow: header('Allow') }),
  Conflict: problem('This Idempotency-Key was used with a different body within 24 h', { conflict: problemExamples.conflict }),
  PayloadTooLarge: problem('The body is larger than 1 MB', { tooLarge: problemExamples.tooLarge }),
  TooManyRequests: problem('Too many new applications for this key; wait Retry-After seconds', {
    rateLimited: problemExamples.rateLimited,
  }, { 'Retry-After': header('RetryAfter') }),
  ServerError: problem('The system cannot answer right now (a part is down or restarting); try again', {
    unavailable: problemExamples.unavailable,
  }),
  Options: {
    description: 'The methods this path answers, in Allow; no key needed',
    headers: { Allow: header('Allow') },
  },
};

/** A shared response; `withHeaders` adds headers to it (a $ref cannot carry siblings). */
export const use = (name: string): Schema => ({ $ref: `#/components/responses/${name}` });
export function withHeaders(name: string, extra: Record<string, object>): Schema {
  const { headers: own = {}, ...rest } = responses[name] as { headers?: Record<string, object> };
  return { ...rest, headers: { ...own, ...extra } };
}
