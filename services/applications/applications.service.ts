/**
 * Owns an application's lifecycle: validation, storage, asking the insurers (QUOTE_REQUESTED),
 * recording their answers (QUOTE_SETTLED), the deadline, and `completed` exactly once.
 */
import crypto from 'node:crypto';
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { DbAdapter } from 'moleculer-db';
import type { AppConfig } from '../../lib/config';
import { validateApplication } from '../../lib/application/validate';
import { todayInMoscow } from '../../lib/dates';
import { INSURERS } from '../../lib/insurers/catalog';
import { ApplicationValidationError, NotFoundError } from '../../lib/errors';
import { APPLICATION_COMPLETED_EVENT, APPLICATION_QUOTE_EVENT, QUOTE_REQUESTED, QUOTE_SETTLED, type QuoteRequested } from '../../lib/channels';
import { pendingQuote } from '../../lib/quotes/view';
import type { Quote } from '../../lib/quotes/types';
import { closeExtraCollection, dbMixin, openExtraCollection } from '../../mixins/db.mixin';
import { sendToChannel } from '../../mixins/channels';
import { findApplication, markCompleted, settleQuote, type ApplicationDoc } from './store';
import { IdempotencyRecords } from './idempotency';
import { applicationView, createdAnswer, tokenMatches } from './views';

interface CreateParams {
  application: unknown;
  partner?: string | null;
  id?: string;
  idempotencyKey?: string;
}

interface Vars {
  idempotency: IdempotencyRecords;
  idempotencyStore: DbAdapter;
  sweepTimer?: NodeJS.Timeout;
  sweeping: boolean;
}

type ApplicationsService = Service & Vars & { adapter: DbAdapter } & Methods;

interface Methods {
  expire(this: ApplicationsService, doc: ApplicationDoc): Promise<void>;
  complete(this: ApplicationsService, id: string, whenSettled?: boolean): Promise<void>;
  sweep(this: ApplicationsService): Promise<void>;
  resume(this: ApplicationsService): Promise<void>;
}

export function createApplicationsService(config: AppConfig, options: { redispatchOnStart: boolean }): ServiceSchema {
  const schema: ServiceSchema<Record<string, never>, Methods, Vars, ApplicationsService> = {
    name: 'applications',
    // the sweep asks for quoting applications; a partner's list is by partner, newest first
    mixins: [dbMixin(config, 'applications', [{ status: 1, deadlineMs: 1 }, { partner: 1, createdAtMs: -1 }])],

    actions: {
      create: {
        params: {
          application: { type: 'any', optional: true, nullable: true },
          partner: { type: 'string', optional: true, nullable: true },
          id: { type: 'uuid', optional: true },
          idempotencyKey: { type: 'string', optional: true, max: 255 },
        },
        async handler(this: ApplicationsService, ctx: Context<CreateParams>) {
          const { partner = null, idempotencyKey } = ctx.params;
          const now = Date.now();
          const idempotent = idempotencyKey ? this.idempotency.request(partner, idempotencyKey, ctx.params.application) : undefined;
          if (idempotent) {
            const first = await this.idempotency.recall(idempotent, now);
            if (first !== undefined) return first;
          }

          const checked = validateApplication(ctx.params.application, todayInMoscow(new Date(now)));
          if (!checked.ok) throw new ApplicationValidationError(checked.errors);

          const id = ctx.params.id ?? crypto.randomUUID();
          const createdAt = new Date(now).toISOString();
          const deadlineMs = now + config.quoteDeadlineMs;
          const insurers = INSURERS.map(({ code, name }) => ({ code, name }));
          const quotes: Record<string, Quote> = {};
          for (const insurer of insurers) {
            quotes[insurer.code] = config.disabledInsurers.has(insurer.code)
              ? { ...pendingQuote(id, insurer, createdAt), status: 'unavailable', reason: 'страховая временно отключена' }
              : pendingQuote(id, insurer, createdAt);
          }
          const asked = insurers.filter((i) => quotes[i.code].status === 'pending').map((i) => i.code);
          const doc: ApplicationDoc = {
            _id: id,
            token: crypto.randomBytes(24).toString('base64url'),
            partner,
            status: 'quoting',
            createdAt,
            createdAtMs: now,
            deadline: new Date(deadlineMs).toISOString(),
            deadlineMs,
            application: checked.value,
            insurers,
            quotes,
            pending: asked.length,
          };
          await this.adapter.insert(doc);
          const answer = createdAnswer(doc);

          if (idempotent) {
            const winner = await this.idempotency.remember(idempotent, answer, now);
            if (winner !== undefined) {
              // a concurrent request with the same key recorded first: ours never existed
              await this.adapter.removeMany({ _id: id } as never);
              return winner;
            }
          }

          for (const quote of Object.values(quotes)) if (quote.status !== 'pending') this.broker.emit(APPLICATION_QUOTE_EVENT, quote);
          if (asked.length > 0) {
            const request: QuoteRequested = { applicationId: id, application: doc.application, deadlineMs, insurers: asked };
            await sendToChannel(this.broker, QUOTE_REQUESTED, request);
          } else {
            await this.complete(id, true);
          }
          return answer;
        },
      },

      get: {
        params: { id: 'string', partner: { type: 'string', optional: true, nullable: true } },
        async handler(this: ApplicationsService, ctx: Context<{ id: string; partner?: string | null }>) {
          const doc = await findApplication(this.adapter, ctx.params.id);
          if (!doc || doc.partner !== (ctx.params.partner ?? null)) throw new NotFoundError('Application not found');
          return applicationView(doc);
        },
      },

      list: {
        params: {
          partner: 'string',
          page: { type: 'number', integer: true, min: 1, optional: true, convert: true, default: 1 },
          pageSize: { type: 'number', integer: true, min: 1, max: 100, optional: true, convert: true, default: 20 },
        },
        async handler(this: ApplicationsService, ctx: Context<{ partner: string; page: number; pageSize: number }>) {
          const { partner, page, pageSize } = ctx.params;
          const query = { partner };
          const [docs, total] = await Promise.all([
            this.adapter.find({ query, sort: ['-createdAtMs'], offset: (page - 1) * pageSize, limit: pageSize } as never) as Promise<ApplicationDoc[]>,
            this.adapter.count({ query } as never),
          ]);
          return { items: docs.map(applicationView), page, pageSize, total, totalPages: Math.ceil(total / pageSize) };
        },
      },

      /** For Socket.IO subscribers: only a holder of the application's token may see it. */
      snapshot: {
        params: { id: 'string', token: 'string' },
        async handler(this: ApplicationsService, ctx: Context<{ id: string; token: string }>) {
          const doc = await findApplication(this.adapter, ctx.params.id);
          if (!doc || !tokenMatches(doc, ctx.params.token)) throw new NotFoundError('Unknown application or wrong token');
          return applicationView(doc);
        },
      },
    },

    channels: {
      [QUOTE_SETTLED]: {
        group: 'applications',
        maxInFlight: 100,
        async handler(this: ApplicationsService, payload: unknown) {
          const quote = payload as Quote;
          if (!(await settleQuote(this.adapter, quote))) return;
          this.broker.emit(APPLICATION_QUOTE_EVENT, quote);
          await this.complete(quote.applicationId, true);
        },
      },
    },

    events: {
      '$broker.started'(this: ApplicationsService) {
        if (options.redispatchOnStart) {
          this.resume().catch((err: unknown) => this.logger.error('resuming applications failed', err));
        }
      },
    },

    methods: {
      /** `whenSettled`: only if no quote is pending; without it (the deadline) whatever is left. */
      async complete(id: string, whenSettled = false) {
        if (!(await markCompleted(this.adapter, id, new Date().toISOString(), whenSettled))) return;
        const doc = await findApplication(this.adapter, id);
        if (!doc) return;
        const view = applicationView(doc);
        this.broker.emit(APPLICATION_COMPLETED_EVENT, {
          applicationId: id,
          status: 'completed',
          quotes: view.quotes,
          ...(view.bestOffer ? { bestOffer: view.bestOffer } : {}),
        });
      },

      /** The deadline passed: every insurer still pending becomes `timeout`, then the application completes. */
      async expire(doc: ApplicationDoc) {
        const at = new Date().toISOString();
        for (const quote of Object.values(doc.quotes)) {
          if (quote.status !== 'pending') continue;
          const timedOut: Quote = { ...quote, status: 'timeout', reason: 'страховая не ответила до истечения срока', at };
          if (await settleQuote(this.adapter, timedOut)) this.broker.emit(APPLICATION_QUOTE_EVENT, timedOut);
        }
        await this.complete(doc._id);
      },

      async sweep() {
        if (this.sweeping) return;
        this.sweeping = true;
        try {
          const due = (await this.adapter.find({ query: { status: 'quoting', deadlineMs: { $lte: Date.now() } } } as never)) as ApplicationDoc[];
          for (const doc of due) await this.expire(doc);
        } catch (err) {
          this.logger.error('deadline sweep failed', err);
        } finally {
          this.sweeping = false;
        }
      },

      /** Without a durable broker the in-flight requests died with the process: ask again what is still open. */
      async resume() {
        const open = (await this.adapter.find({ query: { status: 'quoting', deadlineMs: { $gt: Date.now() } } } as never)) as ApplicationDoc[];
        for (const doc of open) {
          const waiting = Object.values(doc.quotes).filter((q) => q.status === 'pending').map((q) => q.insurer.code);
          if (waiting.length === 0) {
            await this.complete(doc._id, true);
            continue;
          }
          const request: QuoteRequested = { applicationId: doc._id, application: doc.application, deadlineMs: doc.deadlineMs, insurers: waiting };
          await sendToChannel(this.broker, QUOTE_REQUESTED, request);
        }
        if (open.length > 0) this.logger.info(`resumed ${open.length} application(s) still quoting`);
      },
    },

    async started(this: ApplicationsService) {
      this.idempotencyStore = await openExtraCollection(config, 'idempotency', this.broker, this);
      this.idempotency = new IdempotencyRecords(this.idempotencyStore, config.idempotencyTtlMs);
      this.sweeping = false;
      this.sweepTimer = setInterval(() => void this.sweep(), config.deadlineSweepMs);
    },

    async stopped(this: ApplicationsService) {
      clearInterval(this.sweepTimer);
      if (this.idempotencyStore) await closeExtraCollection(this.idempotencyStore);
    },
  };
  return schema as unknown as ServiceSchema;
}
