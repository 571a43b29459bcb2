/**
 * The HTTP side of /ops (CONTRACT §8), as moleculer-web function aliases of the `/ops` route: the
 * view or the key form, the session (a signed cookie, lib/ops/session.ts), and `GET /ops/state`,
 * the view's figures as JSON for curl and scripts (the cookie or an `X-Ops-Key` header opens it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ServiceBroker } from 'moleculer';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppConfig, OpsSettings } from '../../../lib/config';
import { clientAddress } from '../../../lib/client-address';
import { clearedSessionCookie, isOpsKey, opsAccess, sessionCookie, type OpsAccess } from '../../../lib/ops/session';
import { readOpsState } from '../../ops/cluster-state';
import { OFF_PAGE, loginPage, opsViewPage } from './pages';

type AliasRequest = IncomingMessage & { body?: unknown };
/** moleculer-web calls a function alias with the gateway service as `this`. */
type Alias = (this: { broker: ServiceBroker }, req: AliasRequest, res: ServerResponse) => void;

// Guessing the key: ten tries a minute per address, per gateway.
const LOGIN_TRIES_PER_MINUTE = 10;

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; form-action 'self'",
};

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function redirect(res: ServerResponse, to: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: to, 'Content-Length': '0', ...headers });
  res.end();
}

/** Over TLS here, or in production (behind the TLS proxy production runs behind). */
function wantsSecureCookie(req: IncomingMessage, production: boolean): boolean {
  return production || Boolean((req.socket as TLSSocket).encrypted);
}

export function requestAccess(settings: OpsSettings, req: IncomingMessage): OpsAccess {
  const access = opsAccess(settings, req.headers.cookie);
  if (access === 'login' && isOpsKey(settings, req.headers['x-ops-key'])) return 'allowed';
  return access;
}

function keyFromForm(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { key?: unknown }).key : undefined;
}

export function opsAliases(config: AppConfig): Record<string, Alias> {
  const settings = config.ops;
  const tries = new RateLimiterMemory({ points: LOGIN_TRIES_PER_MINUTE, duration: 60, keyPrefix: 'ops-login' });
  const refused = (res: ServerResponse, access: OpsAccess, asJson: boolean) => {
    if (access === 'forbidden') {
      if (asJson) send(res, 403, JSON.stringify({ error: 'ops is off: set OPS_KEY' }), {}, 'application/json; charset=utf-8');
      else send(res, 403, OFF_PAGE);
    } else if (asJson) send(res, 401, JSON.stringify({ error: 'an ops session or X-Ops-Key is required' }), {}, 'application/json; charset=utf-8');
    else send(res, 200, loginPage());
  };

  return {
    'GET /'(req, res) {
      const access = requestAccess(settings, req);
      if (access !== 'allowed') return refused(res, access, false);
      send(res, 200, opsViewPage(settings.access === 'key'));
    },
    'POST /session'(req, res) {
      if (settings.access !== 'key') return settings.access === 'open' ? redirect(res, '/ops') : refused(res, 'forbidden', false);
      const address = clientAddress(req.socket.remoteAddress ?? '', req.headers['x-forwarded-for'], config.trustedProxies);
      tries
        .consume(address)
        .then(() => {
          if (!isOpsKey(settings, keyFromForm(req.body))) return send(res, 401, loginPage('Ключ не подошёл.'));
          void tries.delete(address);
          redirect(res, '/ops', { 'Set-Cookie': sessionCookie(settings, Date.now(), wantsSecureCookie(req, config.production)) });
        })
        .catch((err: unknown) => {
          if (!(err instanceof RateLimiterRes)) return send(res, 500, loginPage('Не удалось проверить ключ.'));
          const seconds = Math.ceil(err.msBeforeNext / 1000);
          send(res, 429, loginPage(`Слишком много попыток: повторите через ${seconds} с.`), { 'Retry-After': String(seconds) });
        });
    },
    'POST /logout'(req, res) {
      redirect(res, '/ops', { 'Set-Cookie': clearedSessionCookie(wantsSecureCookie(req, config.production)) });
    },
    'GET /state'(req, res) {
      const access = requestAccess(settings, req);
      if (access !== 'allowed') return refused(res, access, true);
      readOpsState(this.broker)
        .then((state) => send(res, 200, JSON.stringify(state), {}, 'application/json; charset=utf-8'))
        .catch((err: Error) => send(res, 503, JSON.stringify({ error: err.message }), {}, 'application/json; charset=utf-8'));
    },
  };
}
