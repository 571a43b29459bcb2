/**
 * The partner API's route table. moleculer-web's aliases and the 405 answer's Allow header are
 * both derived from it, so a route cannot be served without being allowed, or the reverse.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'moleculer';
import { MethodNotAllowedError, NotFoundError } from '../../lib/errors';

export const PARTNER_API_BASE = '/api/v1';

interface PartnerRoute {
  method: 'GET' | 'POST';
  /** moleculer-web's syntax: `:name` is one path segment. */
  path: string;
  /** An action name, or the name of a function alias the gateway hands partnerAliases (a stream it writes itself). */
  alias: string | { stream: keyof StreamAliases };
}

/** A moleculer-web function alias: it writes the answer itself, or hands `next` an error to answer with. */
export type StreamAlias = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
export interface StreamAliases {
  events: StreamAlias;
}

export const PARTNER_ROUTES: readonly PartnerRoute[] = [
  { method: 'POST', path: '/applications', alias: 'gateway.createApplication' },
  { method: 'GET', path: '/applications', alias: 'gateway.listApplications' },
  { method: 'GET', path: '/applications/:id', alias: 'gateway.getApplication' },
  { method: 'GET', path: '/applications/:id/events', alias: { stream: 'events' } },
  { method: 'GET', path: '/applications/:id/deliveries', alias: 'gateway.deliveries' },
  { method: 'GET', path: '/insurers', alias: 'gateway.insurers' },
  { method: 'GET', path: '/health', alias: 'gateway.health' },
];

/** moleculer-web aliases of the route table, then the catch-all that answers 404, 405 or OPTIONS. */
export function partnerAliases(streams: StreamAliases): Record<string, string | StreamAlias | Record<string, unknown>> {
  const unrouted = { action: 'gateway.notFound', passReqResToParams: true };
  return {
    ...Object.fromEntries(PARTNER_ROUTES.map((r) => [`${r.method} ${r.path}`, typeof r.alias === 'string' ? r.alias : streams[r.alias.stream]])),
    // last (optimizeOrder is off), so that nothing under /api/v1 falls through to the page's static files
    '* /': unrouted,
    '* /*rest': unrouted,
  };
}

function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function routeMatches(route: PartnerRoute, segments: string[]): boolean {
  const template = segmentsOf(route.path);
  return template.length === segments.length && template.every((t, i) => t.startsWith(':') || t === segments[i]);
}

/** The methods `path` (under PARTNER_API_BASE, query allowed) answers; empty for a path that is no route. */
export function allowedMethods(path: string): string[] {
  const within = path.split('?')[0].slice(PARTNER_API_BASE.length);
  const segments = segmentsOf(within);
  const methods = PARTNER_ROUTES.filter((r) => routeMatches(r, segments)).map((r) => r.method);
  return methods.length === 0 ? [] : [...new Set(methods), 'OPTIONS'];
}

type UnroutedRequest = Pick<IncomingMessage, 'method' | 'url'> & { originalUrl?: string };
interface UnroutedMeta {
  $responseHeaders?: Record<string, string>;
}

/**
 * The catch-all action: a request no alias of the table took. Another method on a route is 405
 * with Allow (HEAD too: GET answers are computed per request and are not offered without their
 * body); anything else is 404, as is a route still aliased here for its own method.
 */
export function answerUnrouted(ctx: Context<{ $req?: UnroutedRequest }, UnroutedMeta>): never {
  const req = ctx.params.$req;
  const method = (req?.method ?? 'GET').toUpperCase();
  const allowed = req ? allowedMethods(req.originalUrl ?? req.url ?? '') : [];
  if (allowed.length === 0 || allowed.includes(method)) throw new NotFoundError('No such route');
  ctx.meta.$responseHeaders = { ...ctx.meta.$responseHeaders, Allow: allowed.join(', ') };
  throw new MethodNotAllowedError(method, allowed);
}

/**
 * A route middleware for OPTIONS: 204 with Allow on a route, 404 elsewhere. It has to come before
 * the aliases: moleculer-web resolves an OPTIONS request as the GET of its path (or as the method
 * of Access-Control-Request-Method), so an alias would run that action.
 */
export function answerOptions(req: UnroutedRequest, res: ServerResponse, next: (err?: Error) => void): void {
  if (req.method !== 'OPTIONS') return next();
  const allowed = allowedMethods(req.originalUrl ?? req.url ?? '');
  if (allowed.length === 0) return next(new NotFoundError('No such route'));
  res.writeHead(204, { Allow: allowed.join(', ') });
  res.end();
}
