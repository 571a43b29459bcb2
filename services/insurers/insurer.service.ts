/**
 * One Moleculer service per insurance company, made from the catalog. `submit` and `poll` are the
 * guarded calls (Moleculer's timeout, retry, circuit breaker and bulkhead around our own
 * AbortSignal-bounded HTTP request); the QUOTE_REQUESTED channel handler runs the quote loop.
 */
import type { Context, ServiceSchema, Service } from 'moleculer';
import type { AppConfig } from '../../lib/config';
import type { InsurerDefinition } from '../../lib/insurers/catalog';
import { adapterFor } from '../../lib/insurers/dialects';
import { InsurerHttpClient } from '../../lib/insurers/http-client';
import { WireFormatError, type InsurerAdapter, type CreateOutcome, type PollOutcome } from '../../lib/insurers/adapter';
import { runQuoteLoop, type LoopOutcome } from '../../lib/insurers/quote-loop';
import { DeadlinePassedError, ErrorType, InsurerProtocolError, InterruptedError, isRetryableInsurerFault, markAttempt } from '../../lib/errors';
import { shutdownSignal, sleepUnless } from '../../middlewares/shutdown-signal';
import { QUOTE_REQUESTED, QUOTE_SETTLED, type QuoteRequested } from '../../lib/channels';
import type { Application } from '../../lib/application/types';
import type { Quote } from '../../lib/quotes/types';
import { CallFigures } from './call-figures';
import { sendToChannel } from '../../mixins/channels';

export type CircuitState = 'closed' | 'open' | 'half-open';

export function insurerServiceName(code: string): string {
  return `insurers.${code}`;
}

interface InsurerState {
  client: InsurerHttpClient;
  adapter: InsurerAdapter;
  circuit: Record<'submit' | 'poll', CircuitState>;
  figures: CallFigures;
}

interface InsurerSettings {
  code: string;
  insurerName: string;
  dialect: string;
}

type InsurerService = Service<InsurerSettings> & { insurer: InsurerState };


export function createInsurerService(
  definition: InsurerDefinition,
  config: AppConfig,
): ServiceSchema<InsurerSettings, Record<string, never>, { insurer: InsurerState }, InsurerService> {
  const name = insurerServiceName(definition.code);
  const durableChannels = config.durableChannels;
  const calls = config.insurerCalls;
  const guard = {
    timeout: calls.callTimeoutMs + 1_000, // a backstop only: our AbortSignal fires first and counts for the breaker
    retryPolicy: {
      enabled: true,
      retries: calls.retry.retries,
      delay: calls.retry.delayMs,
      maxDelay: calls.retry.maxDelayMs,
      factor: calls.retry.factor,
      check: isRetryableInsurerFault,
    },
    bulkhead: { enabled: true, concurrency: calls.bulkheadConcurrency, maxQueueSize: calls.bulkheadQueueSize },
  };

  /** One HTTP exchange, bounded by the call timeout and by the application's deadline. */
  async function exchange<T>(
    svc: InsurerService,
    ctx: Context,
    deadlineMs: number,
    build: () => { request: Parameters<InsurerHttpClient['send']>[0]; parse: (body: unknown) => T },
  ): Promise<T> {
    const attempt = (ctx as unknown as { _retryAttempts?: number })._retryAttempts ?? 0;
    try {
      return await exchangeOnce(svc, deadlineMs, build);
    } catch (err) {
      throw markAttempt(err, attempt, calls.retry.retries);
    }
  }

  async function exchangeOnce<T>(svc: InsurerService, deadlineMs: number, build: () => { request: Parameters<InsurerHttpClient['send']>[0]; parse: (body: unknown) => T }): Promise<T> {
    const budget = Math.min(calls.callTimeoutMs, deadlineMs - Date.now());
    if (budget <= 0) throw new DeadlinePassedError(definition.code);
    const { request, parse } = build();
    const started = Date.now();
    try {
      const body = await svc.insurer.client.send(request, budget, shutdownSignal(svc.broker));
      svc.insurer.figures.record(true, Date.now() - started);
      try {
        return parse(body);
      } catch (err) {
        if (err instanceof WireFormatError) throw new InsurerProtocolError(definition.code, err.message);
        throw err;
      }
    } catch (err) {
      const type = (err as { type?: string }).type;
      // cut short by the application's deadline, not by the insurer's slowness: not the insurer's failure
      if (type === ErrorType.insurerCallTimeout && budget < calls.callTimeoutMs) throw new DeadlinePassedError(definition.code);
      if (type !== ErrorType.insurerProtocol) svc.insurer.figures.record(false, Date.now() - started);
      throw err;
    }
  }

  function circuitOf(svc: InsurerService): CircuitState {
    const states = Object.values(svc.insurer.circuit);
    if (states.includes('open')) return 'open';
    if (states.includes('half-open')) return 'half-open';
    return 'closed';
  }

  function onCircuit(state: CircuitState) {
    return function (this: InsurerService, ctx: Context<{ service?: string; action?: string }>) {
      const { service, action } = ctx.params;
      if (service !== name || !action) return;
      const which = action.endsWith('.submit') ? 'submit' : action.endsWith('.poll') ? 'poll' : undefined;
      if (!which) return;
      this.insurer.circuit[which] = state;
      this.logger.info(`circuit of ${action} is ${state}`);
    };
  }

  function toQuote(applicationId: string, outcome: Exclude<LoopOutcome, { status: 'deadline' | 'interrupted' }>): Quote {
    const base = { applicationId, insurer: { code: definition.code, name: definition.name }, at: new Date().toISOString() };
    if (outcome.status === 'offer') {
      return {
        ...base,
        status: 'offer',
        premium: outcome.premium,
        offer: { id: outcome.offerId, validUntil: outcome.validUntil, coefficients: outcome.coefficients },
      };
    }
    return { ...base, status: outcome.status, reason: outcome.reason };
  }

  return {
    name,
    settings: { code: definition.code, insurerName: definition.name, dialect: definition.dialect },

    actions: {
      submit: {
        ...guard,
        params: { applicationId: 'string', application: 'object', deadlineMs: 'number' },
        handler(this: InsurerService, ctx: Context<{ applicationId: string; application: Application; deadlineMs: number }>): Promise<CreateOutcome> {
          const { adapter } = this.insurer;
          return exchange(this, ctx, ctx.params.deadlineMs, () => ({
            request: adapter.createRequest(ctx.params.application, ctx.params.applicationId),
            parse: (body) => adapter.parseCreated(body),
          }));
        },
      },
      poll: {
        ...guard,
        params: { externalId: 'string', deadlineMs: 'number' },
        handler(this: InsurerService, ctx: Context<{ externalId: string; deadlineMs: number }>): Promise<PollOutcome> {
          const { adapter } = this.insurer;
          return exchange(this, ctx, ctx.params.deadlineMs, () => ({
            request: adapter.pollRequest(ctx.params.externalId),
            parse: (body) => adapter.parsePoll(body),
          }));
        },
      },
      status: {
        handler(this: InsurerService) {
          return {
            code: definition.code,
            name: definition.name,
            state: circuitOf(this),
            dialect: definition.dialect,
            nodeID: this.broker.nodeID,
            ...this.insurer.figures.summary(),
          };
        },
      },
    },

    channels: {
      [QUOTE_REQUESTED]: {
        group: name,
        maxInFlight: 10_000, // each message mostly waits between polls
        async handler(this: InsurerService, payload: unknown) {
          const request = payload as QuoteRequested;
          if (!request.insurers.includes(definition.code)) return;
          const stopping = shutdownSignal(this.broker);
          const outcome = await runQuoteLoop(
            {
              deadlineMs: request.deadlineMs,
              submit: () =>
                this.broker.call(`${name}.submit`, {
                  applicationId: request.applicationId,
                  application: request.application,
                  deadlineMs: request.deadlineMs,
                }),
              poll: (externalId) => this.broker.call(`${name}.poll`, { externalId, deadlineMs: request.deadlineMs }),
              circuitOpen: () => this.insurer.circuit.submit === 'open',
              now: Date.now,
              sleep: (ms) => sleepUnless(stopping, ms),
              interrupted: () => stopping.aborted,
            },
            { ...calls, maxPollFailures: 3 },
          );
          if (outcome.status === 'deadline') return; // the deadline sweep records `timeout`
          // a durable channel redelivers an unacknowledged message to another node; in memory the
          // applications service re-asks after a restart, so there is nothing to hand back
          if (outcome.status === 'interrupted') {
            if (durableChannels) throw new InterruptedError(`quote of ${definition.code}`);
            return;
          }
          if (outcome.status === 'failed') this.logger.info(`quote ${request.applicationId} failed: ${outcome.cause ?? outcome.reason}`);
          await sendToChannel(this.broker, QUOTE_SETTLED, toQuote(request.applicationId, outcome));
        },
      },
    },

    events: {
      '$circuit-breaker.opened': onCircuit('open'),
      '$circuit-breaker.half-opened': onCircuit('half-open'),
      '$circuit-breaker.closed': onCircuit('closed'),
    },

    created(this: InsurerService) {
      this.insurer = {
        client: new InsurerHttpClient({ code: definition.code, baseUrl: `${config.insurersUrl}/insurers/${definition.code}` }),
        adapter: adapterFor(definition.dialect),
        circuit: { submit: 'closed', poll: 'closed' },
        figures: new CallFigures(200),
      };
    },

    async stopped(this: InsurerService) {
      await this.insurer.client.close();
    },
  };
}
