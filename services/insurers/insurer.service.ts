/**
 * One Moleculer service per insurance company, made from the catalog. `submit` and `poll` are the
 * guarded calls (the policy of lib/insurers/call-policy.ts around our own AbortSignal-bounded HTTP
 * request); the QUOTE_REQUESTED channel handler runs the quote loop for each application.
 *
 * Quotes run in one QuoteScheduler per insurer: between calls a quote is a small record there.
 * On embedded defaults the channel handler hands the quote over and returns (in memory there is
 * nothing to hold; the applications service re-asks after a restart). In a cluster a quote outlives
 * its worker: the worker holds its JetStream message with a heartbeat until the quote is settled,
 * records the insurer's id once the create is accepted, and a worker that gets the message again
 * (its holder died, or handed it back on SIGTERM) resumes polling that id instead of creating again.
 */
import type { Context, ServiceSchema, Service } from 'moleculer';
import type { AppConfig } from '../../lib/config';
import type { InsurerDefinition } from '../../lib/insurers/catalog';
import { adapterFor } from '../../lib/insurers/dialects';
import { InsurerHttpClient } from '../../lib/insurers/http-client';
import { quoteReference, type InsurerAdapter, type CreateOutcome, type PollOutcome } from '../../lib/insurers/adapter';
import { insurerActionGuard, retryAttemptOf } from '../../lib/insurers/call-policy';
import { QuoteMachine, type LoopOutcome, type QuoteEnv } from '../../lib/insurers/quote-loop';
import { QuoteScheduler } from '../../lib/insurers/quote-scheduler';
import { AdaptivePollPlan, type PollPlan } from '../../lib/insurers/poll-plan';
import { quoteFromOutcome } from '../../lib/quotes/from-outcome';
import { InterruptedError } from '../../lib/errors';
import { shutdownSignal } from '../../middlewares/shutdown-signal';
import { QUOTE_REQUESTED, QUOTE_SETTLED, INSURER_RATE_LIMITED_EVENT, type QuoteRequested, type SealedQuoteRequested, type InsurerRateLimited } from '../../lib/channels';
import { openApplication } from '../../lib/personal-data/application-seal';
import { keyringFor } from '../../lib/personal-data/key-file';
import type { Keyring } from '../../lib/personal-data/keyring';
import { isWholeApplication } from '../../lib/personal-data/split';
import type { Application } from '../../lib/application/types';
import { heldChannelOptions, keepHolding, publish, wasRedelivered } from '../../mixins/channels';
import { CallFigures } from '../../lib/insurers/call-figures';
import type { InsurerNodeFigures } from '../../lib/ops/insurer-view';
import { CircuitView, type CircuitState } from './circuit';
import { observeOffer, setCircuitOpen } from '../../lib/metrics';
import { InsurerAdmission } from './admission';
import { exchange, type ExchangeContext } from './exchange';
import { acquireProgressStore, releaseProgressStore, type QuoteProgress, type QuoteProgressStore } from './progress';

export type { CircuitState } from './circuit';

export function insurerServiceName(code: string): string {
  return `insurers.${code}`;
}

/** One quote in the scheduler. `held`: in a cluster, the channel handler waits on it with the message. */
interface QuoteJob {
  readonly request: QuoteRequested;
  readonly key: string;
  held?: PromiseWithResolvers<void>;
}

interface InsurerState {
  adapter: InsurerAdapter;
  client: InsurerHttpClient;
  calls: ExchangeContext;
  circuit: CircuitView;
  figures: CallFigures;
  admission: InsurerAdmission;
  progress: QuoteProgressStore;
  pollPlan?: PollPlan; // what this node learned of the insurer's readiness
  quoteEnv: QuoteEnv;
  scheduler: QuoteScheduler<QuoteJob>;
  running: Map<string, QuoteJob>; // quotes this node works on now, by application and insurer
  keyring: Keyring; // opens the personal part of QUOTE_REQUESTED
}

type InsurerService = Service & { insurer: InsurerState } & Methods;

interface Methods {
  openRequest(this: InsurerService, sealed: SealedQuoteRequested): QuoteRequested | undefined;
  beginQuote(this: InsurerService, request: QuoteRequested, raw: unknown): QuoteJob;
  startQuote(this: InsurerService, job: QuoteJob, raw: unknown): Promise<void>;
  quoteFinished(this: InsurerService, job: QuoteJob, outcome: LoopOutcome): void;
  endQuote(this: InsurerService, job: QuoteJob, err?: unknown): void;
}

interface SubmitParams {
  applicationId: string;
  application: Application;
  deadlineMs: number;
}

/** How many nodes run this insurer's service now (this one included). */
function nodesRunning(svc: InsurerService): number {
  const list = svc.broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }) as Array<{ name: string; nodeID: string }>;
  return Math.max(1, new Set(list.filter((s) => s.name === svc.name).map((s) => s.nodeID)).size);
}

/** `createdAtMs` as the quote loop took it: a resumed quote's planner counts from the same moment. */
function progressFromCreate(outcome: CreateOutcome, nextPollAtMs: number | undefined, createdAtMs: number, node: string): QuoteProgress {
  return outcome.kind === 'accepted'
    ? { stage: 'accepted', externalId: outcome.externalId, nextPollAtMs, createdAtMs, node }
    : { stage: 'declined', reason: outcome.reason, createdAtMs, node };
}

export function createInsurerService(definition: InsurerDefinition, config: AppConfig): ServiceSchema {
  const name = insurerServiceName(definition.code);
  const calls = config.insurerCalls;
  const guard = insurerActionGuard(calls);

  const schema: ServiceSchema<Record<string, unknown>, Methods, { insurer: InsurerState }, InsurerService> = {
    name,
    settings: { code: definition.code, insurerName: definition.name, dialect: definition.dialect },

    actions: {
      submit: {
        ...guard,
        params: { applicationId: 'string', application: 'object', deadlineMs: 'number' },
        handler(this: InsurerService, ctx: Context<SubmitParams>): Promise<CreateOutcome> {
          const { adapter } = this.insurer;
          return exchange(this.insurer.calls, retryAttemptOf(ctx), ctx.params.deadlineMs, {
            request: adapter.createRequest(ctx.params.application, quoteReference(ctx.params.applicationId, definition.code)),
            parse: (body) => adapter.parseCreated(body),
          });
        },
      },
      poll: {
        ...guard,
        params: { externalId: 'string', deadlineMs: 'number' },
        handler(this: InsurerService, ctx: Context<{ externalId: string; deadlineMs: number }>): Promise<PollOutcome> {
          const { adapter } = this.insurer;
          return exchange(this.insurer.calls, retryAttemptOf(ctx), ctx.params.deadlineMs, {
            request: adapter.pollRequest(ctx.params.externalId),
            parse: (body) => adapter.parsePoll(body),
          });
        },
      },
      status: {
        handler(this: InsurerService) {
          return {
            code: definition.code,
            name: definition.name,
            state: this.insurer.circuit.state,
            dialect: definition.dialect,
            nodeID: this.broker.nodeID,
            ...partnerFigures(this.insurer.figures),
          };
        },
      },
      figures: {
        visibility: 'public',
        handler(this: InsurerService): InsurerNodeFigures {
          const { circuit, figures } = this.insurer;
          return { code: definition.code, name: definition.name, nodeID: this.broker.nodeID, state: circuit.state, since: circuit.since, ...figures.detail() };
        },
      },
    },

    channels: {
      [QUOTE_REQUESTED]: {
        group: name,
        maxInFlight: 10_000, // each message mostly waits between polls
        ...heldChannelOptions(config.cluster),
        async handler(this: InsurerService, payload: unknown, raw?: unknown) {
          const sealed = payload as SealedQuoteRequested;
          if (!sealed.insurers.includes(definition.code)) return;
          const request = this.openRequest(sealed);
          if (!request) return; // redelivering it would not make it open: left to the deadline sweep
          const mine = this.insurer.running.get(`${request.applicationId}.${definition.code}`);
          // JetStream gave this node again a quote it is still working on (its heartbeats were cut
          // off, e.g. by a broker restart): the copy ends as the work in hand does (handed back too)
          const job = mine ?? this.beginQuote(request, raw);
          if (!job.held) return; // in memory: nothing to hold, the scheduler has it
          // the copy is held too: JetStream would otherwise give it to another node after the ack wait
          const stopHolding = keepHolding(raw, config.cluster);
          try {
            await job.held.promise;
          } finally {
            stopHolding();
          }
        },
      },
    },

    methods: {
      /** The request with its personal part opened; undefined (logged) when it cannot be. */
      openRequest(this: InsurerService, sealed: SealedQuoteRequested): QuoteRequested | undefined {
        try {
          const application = openApplication(this.insurer.keyring, sealed.applicationId, sealed.application);
          // an insurer cannot price without the drivers' ages
          if (isWholeApplication(application)) return { ...sealed, application };
          this.logger.error(`quote request ${sealed.applicationId} came without its personal data`);
        } catch (err) {
          this.logger.error(`quote request ${sealed.applicationId}: ${(err as Error).message}`);
        }
        return undefined;
      },

      beginQuote(this: InsurerService, request: QuoteRequested, raw: unknown): QuoteJob {
        const job: QuoteJob = { request, key: `${request.applicationId}.${definition.code}` };
        if (config.durableChannels) job.held = Promise.withResolvers<void>();
        this.insurer.running.set(job.key, job);
        void this.startQuote(job, raw);
        return job;
      },

      /** From wherever the quote stands: only a redelivered message can have progress, the first needs no read. */
      async startQuote(this: InsurerService, job: QuoteJob, raw: unknown) {
        const { request } = job;
        try {
          const progress = wasRedelivered(raw) ? await this.insurer.progress.read(request.applicationId, definition.code, request.deadlineMs) : undefined;
          if (progress?.stage === 'declined') return this.quoteFinished(job, { status: 'declined', reason: progress.reason });
          const resume = progress && { externalId: progress.externalId, nextPollAtMs: progress.nextPollAtMs, createdAtMs: progress.createdAtMs };
          this.insurer.scheduler.start(job, new QuoteMachine(this.insurer.quoteEnv, request.deadlineMs, resume));
        } catch (err) {
          this.endQuote(job, err);
        }
      },

      quoteFinished(this: InsurerService, job: QuoteJob, outcome: LoopOutcome) {
        const { request } = job;
        // a durable channel redelivers an unacknowledged message to another node; in memory the
        // applications service re-asks after a restart, so there is nothing to hand back
        if (outcome.status === 'interrupted') return this.endQuote(job, job.held && new InterruptedError(`quote of ${definition.code}`));
        if (outcome.status === 'deadline') return this.endQuote(job); // the deadline sweep records `timeout`
        if (outcome.status === 'failed') this.logger.info(`quote ${request.applicationId} failed: ${outcome.cause ?? outcome.reason}`);
        const settled = quoteFromOutcome(request.applicationId, definition, outcome, new Date().toISOString());
        // the application was created a deadline before its deadline
        if (settled.status === 'offer') observeOffer(this.broker, definition.code, (Date.now() - (request.deadlineMs - config.quoteDeadlineMs)) / 1000);
        publish(this.broker, QUOTE_SETTLED, settled, {
          messageId: `${request.applicationId}.${definition.code}.settled`,
          // through an outage, for as long as the answer can still count
          retryForMs: Math.max(config.cluster.publishRetryMs, request.deadlineMs - Date.now()),
        }).then(() => this.endQuote(job), (err: unknown) => this.endQuote(job, err));
      },

      /** The quote leaves this node: its held message is acknowledged, or handed back with `err`. */
      endQuote(this: InsurerService, job: QuoteJob, err?: unknown) {
        if (this.insurer.running.get(job.key) === job) this.insurer.running.delete(job.key);
        if (job.held) {
          if (err === undefined) job.held.resolve();
          else job.held.reject(err);
        } else if (err !== undefined && !(err instanceof InterruptedError)) {
          this.logger.error(`quote ${job.key} dropped: ${(err as Error).message ?? String(err)}`);
        }
      },
    },

    events: {
      '$circuit-breaker.opened': circuitHandler('open', definition.code),
      '$circuit-breaker.half-opened': circuitHandler('half-open', definition.code),
      '$circuit-breaker.closed': circuitHandler('closed', definition.code),
      [INSURER_RATE_LIMITED_EVENT](this: InsurerService, ctx: Context<InsurerRateLimited>) {
        if (ctx.params.code === definition.code) this.insurer.admission.pauseUntil(ctx.params.untilMs);
      },
      '$services.changed'(this: InsurerService) {
        this.insurer.admission.shareWith(nodesRunning(this));
      },
    },

    created(this: InsurerService) {
      const client = new InsurerHttpClient({ code: definition.code, baseUrl: `${config.insurersUrl}/insurers/${definition.code}` });
      const figures = new CallFigures(200);
      const admission = new InsurerAdmission(definition.rateLimitPerSecond);
      const circuit = new CircuitView(name);
      const stopping = shutdownSignal(this.broker);
      const pollPlan = calls.polling.adaptive ? pollPlanFor(definition, calls) : undefined;
      this.insurer = {
        adapter: adapterFor(definition.dialect),
        client,
        figures,
        admission,
        circuit,
        progress: undefined as unknown as QuoteProgressStore, // opened in started()
        pollPlan,
        quoteEnv: {
          settings: { ...calls, maxPollFailures: 3 },
          now: Date.now,
          circuitOpen: () => circuit.createRefused,
          interrupted: () => stopping.aborted,
          admits: true,
          pollPlan,
        },
        scheduler: new QuoteScheduler<QuoteJob>({
          now: Date.now,
          timer: (ms, fire) => {
            const timer = setTimeout(fire, ms);
            return () => clearTimeout(timer);
          },
          admission: () => admission.next(),
          submit: ({ request }) => this.broker.call<CreateOutcome, SubmitParams>(`${name}.submit`, { applicationId: request.applicationId, application: request.application, deadlineMs: request.deadlineMs }),
          poll: ({ request }, externalId) => this.broker.call<PollOutcome, { externalId: string; deadlineMs: number }>(`${name}.poll`, { externalId, deadlineMs: request.deadlineMs }),
          created: ({ request }, outcome, nextPollAtMs, createdAtMs) =>
            this.insurer.progress.write(request.applicationId, definition.code, progressFromCreate(outcome, nextPollAtMs, createdAtMs, this.broker.nodeID), request.deadlineMs),
          finished: (job, outcome) => this.quoteFinished(job, outcome),
          concurrency: calls.bulkheadConcurrency, // the bulkhead's own queue then stays empty
          broke: (job, err) => this.endQuote(job, err),
        }, () => new InterruptedError(`quote of ${definition.code}`)),
        running: new Map(),
        keyring: keyringFor(config.personalData.keys, config.dataDir, (message) => this.logger.warn(message)),
        calls: {
          code: definition.code,
          client,
          figures,
          callTimeoutMs: calls.callTimeoutMs,
          retries: calls.retry.retries,
          cancel: stopping,
          onRateLimited: (retryAfterMs) => {
            const untilMs = Date.now() + Math.min(retryAfterMs, calls.maxRetryAfterMs);
            if (!admission.pauseUntil(untilMs)) return;
            const pause: InsurerRateLimited = { code: definition.code, untilMs };
            this.broker.broadcast(INSURER_RATE_LIMITED_EVENT, pause, { groups: [name] });
          },
        },
      };
      // a stopping node wakes every waiting quote at once: each sees the stop and lets go
      stopping.onStop(() => this.insurer.scheduler.wakeAll());
    },

    async started(this: InsurerService) {
      setCircuitOpen(this.broker, definition.code, false); // every insurer in /metrics from the start
      this.insurer.progress = await acquireProgressStore(config, this.broker);
      this.insurer.admission.shareWith(nodesRunning(this));
    },

    async stopped(this: InsurerService) {
      this.insurer.scheduler.close();
      await this.insurer.client.close();
      await releaseProgressStore(this.broker);
    },
  };
  return schema as unknown as ServiceSchema;
}

/**
 * One planner per insurer per node: each node learns from the quotes it polls. The insurer's rate
 * limit bounds all our calls together (InsurerAdmission); here it only keeps one quote's polls
 * from coming closer than the insurer allows any caller.
 */
function pollPlanFor(definition: InsurerDefinition, calls: AppConfig['insurerCalls']): PollPlan {
  return new AdaptivePollPlan({
    lagBudgetMs: calls.polling.lagBudgetMs,
    minSpacingMs: Math.ceil(1_000 / definition.rateLimitPerSecond),
    fallbackScheduleMs: calls.pollScheduleMs,
  });
}

/** GET /insurers keeps the shape of CONTRACT §2; the operators' figures are the `figures` action's. */
function partnerFigures(figures: CallFigures) {
  const { calls, failures, recent } = figures.summary();
  return { calls, failures, recent };
}

function circuitHandler(state: CircuitState, code: string) {
  return function (this: InsurerService, ctx: Context<{ service?: string; action?: string }>) {
    const action = this.insurer.circuit.record(state, ctx.params);
    if (!action) return;
    this.logger.info(`circuit of ${ctx.params.action} is ${state}`);
    setCircuitOpen(this.broker, code, this.insurer.circuit.state === 'open');
  };
}
