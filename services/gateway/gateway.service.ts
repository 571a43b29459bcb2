/**
 * The public edge: the partner REST API of CONTRACT §2 (moleculer-web), the page in public/, and
 * Socket.IO on the same HTTP server. HTTP concerns (keys, rate limits, problem+json) end here.
 */
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import ApiGateway from 'moleculer-web';
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { AppConfig } from '../../lib/config';
import { INSURERS } from '../../lib/insurers/catalog';
import { UnauthorizedError } from '../../lib/errors';
import { toProblem } from '../../lib/problem';
import { SOCKET_PUSH_EVENT, type SocketPush } from '../../lib/channels';
import { ApplicationRateLimiter, partnerLimitKey } from './rate-limit';
import { attachSocketGateway, type SocketGateway } from './socket';
import { onBusReconnect } from './bus-watch';
import { AuditTrail } from './audit-trail';
import { openApiDocument } from './openapi';
import { apiDocsAliases } from './api-docs';
import { answerOptions, answerUnrouted, partnerAliases } from './routes';
import { errorAnswerHeaders, type AnsweredRequest } from './answer-headers';
import { projectRoot } from '../../lib/project-root';
import { checkCallbackUrl } from '../../lib/webhooks/callback-url';
import { shutdownSignal } from '../../middlewares/shutdown-signal';
import { EVENT_STREAM_DEFAULTS, EventStreamHub, lastEventIdOf, serveEventStream } from './event-stream';
import type { EventsAfter } from '../applications/events';
import { opsAliases } from './ops/http';
import { readInsurerRows } from '../ops/cluster-state';
import { partnerInsurerStatus } from '../../lib/ops/insurer-view';
import { attachOpsLive, type OpsLive } from './ops/live';

interface Meta {
  user?: { partner: string };
  idempotencyKey?: string;
  callbackUrl?: string;
  $statusCode?: number;
  $responseHeaders?: Record<string, string>;
}

interface HttpParams {
  body?: unknown;
  query?: Record<string, unknown>;
  params?: Record<string, string>;
}

type Gateway = Service<Record<string, unknown>> & {
  limiter: ApplicationRateLimiter;
  audit: AuditTrail;
  sockets?: SocketGateway;
  opsLive?: OpsLive;
  eventStreams: EventStreamHub;
  server: import('node:http').Server;
};

/** What moleculer-web hands a function alias: the request with its context and parameters. */
type AliasRequest = IncomingMessage & { $ctx: Context<unknown, Meta>; $params: HttpParams };

/** A function alias, not an action: the response is a stream this gateway writes as events come. */
async function streamEvents(svc: Gateway, req: AliasRequest, res: ServerResponse): Promise<void> {
  const ctx = req.$ctx;
  const partner = partnerOf(ctx);
  const applicationId = req.$params.params?.id ?? '';
  const after = lastEventIdOf(req);
  let audited = false;
  await serveEventStream(res, svc.eventStreams, {
    applicationId,
    after,
    read: (from) => {
      const read = () => ctx.call<EventsAfter, { id: string; partner: string; after: number }>('applications.events', { id: applicationId, partner, after: from });
      if (audited) return read();
      audited = true; // the stream's opening is the access; its later reads are not
      return svc.audit.around({ actor: `partner:${partner}`, action: 'events', applicationId }, read);
    },
  }, EVENT_STREAM_DEFAULTS);
}

function partnerOf(ctx: Context<unknown, Meta>): string {
  const partner = ctx.meta.user?.partner;
  if (!partner) throw new UnauthorizedError();
  return partner;
}

function hasService(svc: Gateway, name: string): boolean {
  // any node: the registry's nodeID argument is optional at run time
  return svc.broker.registry.hasService(name, undefined as unknown as string);
}

export function sendProblem(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const problem = toProblem(err);
  if (res.headersSent) return void res.end();
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  if (problem.status === 429 && problem.retryAfterSeconds) res.setHeader('Retry-After', String(problem.retryAfterSeconds));
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.writeHead(problem.status);
  res.end(JSON.stringify(problem));
}


/** How often /ops viewers get the cluster's state (CONTRACT §8: within 2 s). */
const OPS_LIVE_EVERY_MS = 1_000;

export function createGatewayService(config: AppConfig): ServiceSchema {
  const schema: ServiceSchema<Record<string, unknown>, Record<string, never>, Record<string, never>, Gateway> = {
    name: 'gateway',
    mixins: [ApiGateway as unknown as ServiceSchema],

    settings: {
      port: config.port,
      ip: config.host,
      log4XXResponses: false,
      optimizeOrder: false, // aliases match in the order written: the catch-all 404 must come last
      logRequest: 'debug',
      logResponse: 'debug',
      routes: [
        {
          path: '/api/v1',
          authentication: true,
          mergeParams: false,
          mappingPolicy: 'restrict',
          autoAliases: false,
          bodyParsers: { json: { limit: config.bodyLimit, strict: false }, urlencoded: false },
          use: [answerOptions],
          // the route table: services/gateway/routes.ts
          aliases: partnerAliases({
            events(this: Gateway, req, res, next) {
              streamEvents(this, req as AliasRequest, res).catch(next);
            },
          }),
          onBeforeCall(ctx: Context<unknown, Meta>, _route: unknown, req: IncomingMessage) {
            const key = req.headers['idempotency-key'];
            if (typeof key === 'string' && key.length > 0) ctx.meta.idempotencyKey = key;
            const callback = req.headers['x-callback-url'];
            if (typeof callback === 'string') ctx.meta.callbackUrl = callback;
          },
        },
        {
          path: '/api',
          mappingPolicy: 'restrict',
          autoAliases: false,
          bodyParsers: false,
          aliases: { 'GET /openapi.json': 'gateway.openapi', ...apiDocsAliases() },
        },
        {
          path: '/ops',
          mappingPolicy: 'restrict',
          autoAliases: false,
          bodyParsers: { json: false, urlencoded: { extended: false, limit: '4kb' } },
          aliases: opsAliases(config),
        },
      ],
      assets: { folder: path.join(projectRoot(), 'public'), options: { index: 'index.html' } },
      onError(this: Gateway, req: AnsweredRequest, res: ServerResponse, err: Error) {
        if (toProblem(err).status >= 500) this.logger.error('request failed', err);
        void errorAnswerHeaders(req, this.limiter, config.partnerKeys).then((headers) => sendProblem(res, err, headers));
      },
    },

    actions: {
      createApplication: {
        visibility: 'published',
        async handler(this: Gateway, ctx: Context<HttpParams, Meta>) {
          const partner = partnerOf(ctx);
          await this.limiter.consumeAnswering(partnerLimitKey(partner), ctx.meta);
          const callbackUrl = ctx.meta.callbackUrl === undefined ? undefined : await checkCallbackUrl(ctx.meta.callbackUrl, config.webhooks);
          const created = await this.audit.around(
            { actor: `partner:${partner}`, action: 'create' },
            () =>
              ctx.call<{ id: string }, unknown>('applications.create', {
                application: ctx.params.body,
                partner,
                ...(ctx.meta.idempotencyKey ? { idempotencyKey: ctx.meta.idempotencyKey } : {}),
                ...(callbackUrl ? { callbackUrl } : {}),
              }),
            (answer) => [answer.id],
          );
          ctx.meta.$statusCode = 202;
          return created;
        },
      },
      getApplication: {
        visibility: 'published',
        handler(this: Gateway, ctx: Context<HttpParams, Meta>) {
          const partner = partnerOf(ctx);
          const id = ctx.params.params?.id ?? '';
          return this.audit.around({ actor: `partner:${partner}`, action: 'read', applicationId: id }, () => ctx.call('applications.get', { id, partner }));
        },
      },
      deliveries: {
        visibility: 'published',
        handler(this: Gateway, ctx: Context<HttpParams, Meta>) {
          const partner = partnerOf(ctx);
          const id = ctx.params.params?.id ?? '';
          return this.audit.around({ actor: `partner:${partner}`, action: 'deliveries', applicationId: id }, () => ctx.call('applications.deliveries', { id, partner }));
        },
      },
      listApplications: {
        visibility: 'published',
        handler(this: Gateway, ctx: Context<HttpParams, Meta>) {
          const query = ctx.params.query ?? {};
          const page = query.page === undefined ? 1 : query.page;
          const pageSize = query.pageSize === undefined ? 20 : query.pageSize;
          const partner = partnerOf(ctx);
          return this.audit.around(
            { actor: `partner:${partner}`, action: 'list' },
            () => ctx.call<{ items: Array<{ id: string }> }, unknown>('applications.list', { partner, page, pageSize }),
            (answer) => answer.items.map((item) => item.id),
          );
        },
      },
      insurers: {
        visibility: 'published',
        async handler(this: Gateway, ctx: Context<HttpParams, Meta>) {
          partnerOf(ctx);
          // every node's breaker, merged as /ops shows them: open if open on any node
          const rows = await readInsurerRows(this.broker);
          return rows.map((row, n) => partnerInsurerStatus(row, INSURERS[n].dialect));
        },
      },
      health: {
        visibility: 'published',
        handler(this: Gateway, ctx: Context<HttpParams, Meta>) {
          // a stopping gateway says so, so that a load balancer sends new work elsewhere
          const ready = !this.broker.stopping && hasService(this, 'applications') && hasService(this, 'offers-stream');
          if (!ready) ctx.meta.$statusCode = 503;
          return { status: ready ? 'ok' : 'not-ready', nodeID: this.broker.nodeID, uptimeSec: Math.round(process.uptime()) };
        },
      },
      notFound: {
        visibility: 'published',
        handler: answerUnrouted, // 404, or 405 on a path of the route table
      },
      openapi: {
        visibility: 'published',
        handler() {
          return openApiDocument(INSURERS.map((i) => i.code));
        },
      },
    },

    events: {
      [SOCKET_PUSH_EVENT](this: Gateway, ctx: Context<SocketPush>) {
        this.sockets?.deliver(ctx.params);
        this.eventStreams.deliver(ctx.params);
      },
    },

    methods: {
      authenticate(this: Gateway, _ctx: Context, _route: unknown, req: IncomingMessage & { $action?: { name?: string } }) {
        // health needs no key, and an unknown route is 404 whoever asks
        if (req.$action?.name === 'gateway.health' || req.$action?.name === 'gateway.notFound') return null;
        const key = req.headers['x-api-key'];
        const partner = typeof key === 'string' ? config.partnerKeys.get(key) : undefined;
        if (!partner) throw new UnauthorizedError();
        return { partner };
      },
    },

    created(this: Gateway) {
      this.limiter = new ApplicationRateLimiter(config.rateLimitPerMinute, config.redisUrl);
      this.eventStreams = new EventStreamHub();
      // before Moleculer waits for the requests in flight: an open stream is one, until it ends
      shutdownSignal(this.broker).onStop(() => this.eventStreams.closeAll());
      this.audit = new AuditTrail(this.broker);
    },

    started(this: Gateway) {
      this.sockets = attachSocketGateway(this.server, this.broker, this.limiter, {
        redisUrl: config.redisUrl,
        trustedProxies: config.trustedProxies,
        audit: this.audit,
        maxPayloadBytes: 1_000_000,
        completionGraceMs: 1_500,
        reconcileEveryMs: 1_000,
      });
      onBusReconnect(this.broker, () => void this.sockets?.reconcile(true));
      this.opsLive = attachOpsLive(this.sockets.io, this.broker, config.ops, OPS_LIVE_EVERY_MS);
      this.logger.info(`the page and API are at http://${config.host}:${config.port}/`);
    },

    async stopped(this: Gateway) {
      this.eventStreams.closeAll();
      this.opsLive?.close();
      await this.sockets?.close();
      await this.audit.close();
      await this.limiter.close();
    },
  };
  return schema as unknown as ServiceSchema;
}
