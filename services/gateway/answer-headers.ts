/**
 * The headers of an error answer. moleculer-web's own error path sends ctx.meta.$responseHeaders,
 * but an onError of our own has to: Allow of a 405, X-RateLimit-* of a POST the limiter counted.
 * A POST /applications refused before its action ran (a body that is not JSON, or too large) was
 * not counted, but it still tells a known partner where its window stands.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'moleculer';
import { partnerLimitKey, rateLimitHeaders, type ApplicationRateLimiter } from './rate-limit';
import { PARTNER_API_BASE } from './routes';

type Headers = Record<string, string>;
export type AnsweredRequest = IncomingMessage & { originalUrl?: string; $ctx?: Context<unknown, { $responseHeaders?: Headers }> };

const CREATE_PATH = `${PARTNER_API_BASE}/applications`;

function isCreate(req: AnsweredRequest): boolean {
  const path = (req.originalUrl ?? req.url ?? '').split('?')[0].replace(/\/+$/, '');
  return req.method === 'POST' && path === CREATE_PATH;
}

/** Never rejects: an answer must go out whatever the limiter's store is doing. */
export async function errorAnswerHeaders(req: AnsweredRequest, limiter: ApplicationRateLimiter, partnerKeys: ReadonlyMap<string, string>): Promise<Headers> {
  const set = req.$ctx?.meta.$responseHeaders ?? {};
  if ('X-RateLimit-Limit' in set || !isCreate(req)) return set;
  const key = req.headers['x-api-key'];
  const partner = typeof key === 'string' ? partnerKeys.get(key) : undefined;
  if (!partner) return set;
  try {
    return { ...set, ...rateLimitHeaders(await limiter.peek(partnerLimitKey(partner))) };
  } catch {
    return set;
  }
}
