/**
 * Owns an application's lifecycle: validation, storage, asking the insurers (QUOTE_REQUESTED),
 * recording their answers (QUOTE_SETTLED), the deadline, and `completed` exactly once. Every read
 * and conditional update goes through the store (./stores), whichever engine it is.
 */
import crypto from 'node:crypto';
import type { Context, Service, ServiceSchema } from 'moleculer';
import type { AppConfig } from '../../lib/config';
import { validateApplication } from '../../lib/application/validate';
import { todayInMoscow } from '../../lib/dates';
import { ApplicationValidationError, ConflictError, NotFoundError } from '../../lib/errors';
import { APPLICATION_COMPLETED_EVENT, APPLICATION_QUOTE_EVENT, NODE_READY_EVENT, QUOTE_REQUESTED, QUOTE_SETTLED } from '../../lib/channels';
import type { Quote } from '../../lib/quotes/types';
import { heldChannelOptions, keepHolding, publish, wasRedelivered } from '../../mixins/channels';
import { keyringFor } from '../../lib/personal-data/key-file';
import type { Keyring } from '../../lib/personal-data/keyring';
import { isWholeApplication } from '../../lib/personal-data/split';
import { createSealedApplicationStore, type ApplicationStore } from './stores';
import { RetentionJob, type Clock } from './retention';
import { newApplication, pendingInsurers, quoteRequest } from './new-application';
import { ExpiryTimers } from './expiry-timers';
import { IdempotencyRecords } from './idempotency';
import { applicationView, completedEvent, createdAnswer, tokenMatches } from './views';
import { eventsAfter, type EventsAfter } from './events';
import { checkWebhookPartner, Webhooks } from './webhooks';
import { countApplication, countFinalQuotes } from '../../lib/metrics';

/** Applications the deadline sweep takes per query, and how many go to the store in one expiry. */
const SWEEP_BATCH = 500;
const EXPIRY_BATCH = 250;

interface CreateParams {
  application: unknown;
  partner?: string | null;
  id?: string;
  idempotencyKey?: string;
  callbackUrl?: string; // checked by the gateway (lib/webhooks/callback-url.ts)
}

interface Vars {
  store: ApplicationStore;
  idempotency: IdempotencyRecords;
  sweepTimer?: NodeJS.Timeout;
  sweepRun?: Promise<void>;
  expiryTimers: ExpiryTimers;
  webhooks: Webhooks;
  retention: RetentionJob;
  keyring: Keyring;
}

type ApplicationsService = Service & Vars & Methods;

interface Methods {
  completeIfSettled(this: ApplicationsService, id: string): Promise<void>;
  retell(this: ApplicationsService, id: string, insurerCode: string): Promise<void>;
  expire(this: ApplicationsService, ids: string[]): Promise<void>;
  sweep(this: ApplicationsService): Promise<void>;
  expireDue(this: ApplicationsService): Promise<void>;
  resume(this: ApplicationsService): Promise<void>;
}

export interface ApplicationsServiceOptions {
  redispatchOnStart: boolean;
  /** The retention job's clock (tests move it by days). */
  clock?: Clock;
}

export function createApplicationsService(config: AppConfig, options: ApplicationsServiceOptions): ServiceSchema {
  const schema: ServiceSchema<Record<string, never>, Methods, Vars, ApplicationsService> = {
    name: 'applications',

    actions: {
      create: {
        params: {
          application: { type: 'any', optional: true, nullable: true },
          partner: { type: 'string', optional: true, nullable: true },
          id: { type: 'uuid', optional: true },
          idempotencyKey: { type: 'string', optional: true, max: 255 },
          callbackUrl: { type: 'string', optional: true, max: 2048 },
        },
        async handler(this: ApplicationsService, ctx: Context<CreateParams>) {
          const { partner = null, idempotencyKey, callbackUrl } = ctx.params;
          if (callbackUrl !== undefined) checkWebhookPartner(config, partner);
          const now = Date.now();
          const idempotent = idempotencyKey ? this.idempotency.request(partner, idempotencyKey, ctx.params.application) : undefined;
          if (idempotent) {
            const first = await this.idempotency.recall(idempotent, now);
            if (first !== undefined) return first;
          }

          const checked = validateApplication(ctx.params.application, todayInMoscow(new Date(now)));
          if (!checked.ok) throw new ApplicationValidationError(checked.errors);

          const doc = newApplication(config, ctx.params.id ?? crypto.randomUUID(), partner, checked.value, now);
          // the webhook first: an application stored without it could have events nobody delivers
          const hook = partner && callbackUrl ? await this.webhooks.open(doc, partner, callbackUrl) : undefined;
          if (callbackUrl && !hook) throw new ConflictError('An application with this id already exists');
          if (!(await this.store.insert(doc))) {
            if (hook) await this.webhooks.forget(doc.id);
            throw new ConflictError('An application with this id already exists');
          }
          const forget = async () => {
            await this.store.remove(doc.id);
            if (hook) await this.webhooks.forget(doc.id);
          };
          const answer = createdAnswer(doc);

          if (idempotent) {
            // a concurrent request with the same key recorded first: ours never existed, whether
            // we answer with its application or with a 409 for another body
            const winner = await this.idempotency.remember(idempotent, answer, now).catch(async (err: unknown) => {
              await forget();
              throw err;
            });
            if (winner !== undefined) {
              await forget();
              return winner;
            }
          }

          const asked = pendingInsurers(doc);
          if (asked.length > 0) {
            try {
              await publish(this.broker, QUOTE_REQUESTED, quoteRequest(this.keyring, doc, asked), { messageId: `${doc.id}.requested`, retryForMs: config.cluster.publishRetryMs });
            } catch (err) {
              // nobody will ask the insurers: the application is not taken, and the caller is told so
              await forget();
              if (idempotent) await this.idempotency.forget(idempotent);
              throw err;
            }
          }
          this.webhooks.remember(doc.id, hook !== undefined);
          countApplication(this.broker);
          countFinalQuotes(this.broker, Object.values(doc.quotes));
          for (const quote of Object.values(doc.quotes)) if (quote.status !== 'pending') this.broker.emit(APPLICATION_QUOTE_EVENT, quote);
          if (hook && asked.length < doc.insurers.length) this.webhooks.notify(doc.id, hook.partner);
          if (asked.length === 0) {
            await this.completeIfSettled(doc.id);
          }
          return answer;
        },
      },

      get: {
        params: { id: 'string', partner: { type: 'string', optional: true, nullable: true } },
        async handler(this: ApplicationsService, ctx: Context<{ id: string; partner?: string | null }>) {
          const doc = await this.store.find(ctx.params.id);
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
          const { items, total } = await this.store.listByPartner(partner, (page - 1) * pageSize, pageSize);
          return { items: items.map(applicationView), page, pageSize, total, totalPages: Math.ceil(total / pageSize) };
        },
      },

      /** A partner's application's events numbered above `after` (server-sent events, CONTRACT §2). */
      events: {
        params: { id: 'string', partner: 'string', after: { type: 'number', integer: true, min: 0, default: 0 } },
        async handler(this: ApplicationsService, ctx: Context<{ id: string; partner: string; after: number }>): Promise<EventsAfter> {
          const doc = await this.store.find(ctx.params.id);
          if (!doc || doc.partner !== ctx.params.partner) throw new NotFoundError('Application not found');
          return eventsAfter(doc, ctx.params.after);
        },
      },

      /** The webhook deliveries of a partner's application (CONTRACT §2): none without X-Callback-Url. */
      deliveries: {
        params: { id: 'string', partner: 'string' },
        async handler(this: ApplicationsService, ctx: Context<{ id: string; partner: string }>) {
          const doc = await this.store.find(ctx.params.id);
          if (!doc || doc.partner !== ctx.params.partner) throw new NotFoundError('Application not found');
          return this.webhooks.deliveries(doc.id);
        },
      },

      /** Operators (the REPL's `application <id>`): any application, as clients see it; never over REST. */
      inspect: {
        visibility: 'public',
        params: { id: 'string' },
        async handler(this: ApplicationsService, ctx: Context<{ id: string }>) {
          const doc = await this.store.find(ctx.params.id);
          if (!doc) throw new NotFoundError('Application not found');
          return applicationView(doc);
        },
      },

      /** For Socket.IO subscribers: only a holder of the application's token may see it. */
      snapshot: {
        params: { id: 'string', token: 'string' },
        async handler(this: ApplicationsService, ctx: Context<{ id: string; token: string }>) {
          const doc = await this.store.find(ctx.params.id);
          if (!doc || !tokenMatches(doc, ctx.params.token)) throw new NotFoundError('Unknown application or wrong token');
          return applicationView(doc);
        },
      },
    },

    channels: {
      [QUOTE_SETTLED]: {
        group: 'applications',
        maxInFlight: 100,
        ...heldChannelOptions(config.cluster),
        async handler(this: ApplicationsService, payload: unknown, raw?: unknown) {
          const quote = payload as Quote;
          const stopHolding = keepHolding(raw, config.cluster);
          try {
            const settled = await this.store.settleQuote(quote);
            if (settled) {
              countFinalQuotes(this.broker, [settled]);
              this.broker.emit(APPLICATION_QUOTE_EVENT, settled);
              this.webhooks.notify(quote.applicationId);
              await this.completeIfSettled(quote.applicationId);
            } else if (wasRedelivered(raw)) {
              await this.retell(quote.applicationId, quote.insurer.code);
            }
          } finally {
            stopHolding();
          }
        },
      },
    },

    events: {
      // not `$broker.started`: the insurers' channels may not be subscribed yet then
      [NODE_READY_EVENT](this: ApplicationsService) {
        if (options.redispatchOnStart) {
          this.resume().catch((err: unknown) => this.logger.error('resuming applications failed', err));
        }
      },
    },

    methods: {
      /** Completes the application if nothing is pending any more; only the call that flips it emits. */
      async completeIfSettled(id: string) {
        const completed = await this.store.completeIfSettled(id, new Date().toISOString());
        if (completed) {
          this.broker.emit(APPLICATION_COMPLETED_EVENT, completedEvent(completed));
          this.webhooks.notify(id);
        }
      },

      /**
       * A node that stored this answer may have died before it told anyone (or completed the
       * application): tell again what the store holds. Gateways send each state once per socket.
       */
      async retell(id: string, insurerCode: string) {
        const doc = await this.store.find(id);
        const stored = doc?.quotes[insurerCode];
        if (!doc || !stored || stored.status === 'pending') return;
        this.broker.emit(APPLICATION_QUOTE_EVENT, stored);
        this.webhooks.notify(id);
        if (doc.status === 'completed') this.broker.emit(APPLICATION_COMPLETED_EVENT, completedEvent(doc));
        else await this.completeIfSettled(id);
      },

      /** The deadline passed: every insurer still pending becomes `timeout`, then the application completes. */
      async expire(ids: string[]) {
        for (const { timedOut, completed } of await this.store.expireAll(ids, new Date().toISOString())) {
          countFinalQuotes(this.broker, timedOut);
          // `completed` carries the timed-out quotes, and the gateway sends a socket every final quote
          // of a `completed` before it: one event instead of eleven when hundreds fall due at once
          if (completed) this.broker.emit(APPLICATION_COMPLETED_EVENT, completedEvent(completed));
          else for (const quote of timedOut) this.broker.emit(APPLICATION_QUOTE_EVENT, quote);
        }
        for (const id of ids) this.webhooks.notify(id);
      },

      async sweep() {
        if (this.sweepRun) return;
        this.sweepRun = this.expireDue().finally(() => (this.sweepRun = undefined));
        await this.sweepRun;
      },

      /**
       * Expires every application past its deadline, and sets a timer for each one due before the
       * next sweep, so that it is expired at its deadline rather than up to a sweep interval later.
       * Another node may sweep too: the store lets one of us complete each.
       */
      async expireDue() {
        try {
          for (;;) {
            const now = Date.now();
            const due = await this.store.due(now + config.deadlineSweepMs, SWEEP_BATCH);
            const past = due.filter((d) => d.deadlineMs <= now).map((d) => d.id);
            for (const soon of due) if (soon.deadlineMs > now) this.expiryTimers.at(soon.id, soon.deadlineMs);
            for (let i = 0; i < past.length; i += EXPIRY_BATCH) await this.expire(past.slice(i, i + EXPIRY_BATCH));
            if (past.length < SWEEP_BATCH) return;
          }
        } catch (err) {
          this.logger.error('deadline sweep failed', err);
        }
      },

      /** Without a durable broker the in-flight requests died with the process: ask again what is still open. */
      async resume() {
        const open = await this.store.open(Date.now());
        for (const doc of open) {
          const waiting = pendingInsurers(doc);
          if (waiting.length === 0) {
            await this.completeIfSettled(doc.id);
            continue;
          }
          const { application } = doc;
          if (!isWholeApplication(application)) {
            this.logger.error(`application ${doc.id} is quoting without its personal data; its insurers are not asked again`);
            continue;
          }
          await publish(this.broker, QUOTE_REQUESTED, quoteRequest(this.keyring, { ...doc, application }, waiting), { retryForMs: config.cluster.publishRetryMs });
        }
        if (open.length > 0) this.logger.info(`resumed ${open.length} application(s) still quoting`);
      },
    },

    created(this: ApplicationsService) {
      this.keyring = keyringFor(config.personalData.keys, config.dataDir, (message) => this.logger.warn(message));
      this.store = createSealedApplicationStore(config, this, this.keyring);
      this.retention = new RetentionJob(
        this.store,
        config.personalData,
        (err) => this.logger.error('erasing personal data failed; the next run tries again', err),
        options.clock,
      );
      this.webhooks = new Webhooks(config, {
        load: (id) => this.store.find(id),
        owner: this.broker.nodeID,
        onError: (message, err) => this.logger.warn(message, err),
      });
      this.idempotency = new IdempotencyRecords(this.store.idempotency, config.idempotencyTtlMs);
      this.expiryTimers = new ExpiryTimers(
        (ids) => this.expire(ids),
        (ids, err) => this.logger.error(`expiring ${ids.length} application(s) failed; the next sweep tries again`, err),
      );
    },

    async started(this: ApplicationsService) {
      await this.store.connect();
      await this.webhooks.connect();
      this.sweepTimer = setInterval(() => void this.sweep(), config.deadlineSweepMs);
      this.retention.start();
    },

    async stopped(this: ApplicationsService) {
      clearInterval(this.sweepTimer);
      await this.retention.stop();
      this.expiryTimers.clear();
      await this.sweepRun; // a sweep under way finishes before the store closes
      await this.webhooks.close();
      await this.store.close();
    },
  };
  return schema as unknown as ServiceSchema;
}
