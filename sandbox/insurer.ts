/**
 * One simulated insurer: its mode, counters, rate window and the quotes it opened. Decides what
 * happens to a call (fault injection first, then the dialect's create or poll) and leaves wire
 * shapes to its dialect. A create that repeats a reference it knows is answered as the first one
 * was (same id, or the same refusal) and counted, without opening a second quote: the reference
 * alone decides, as with most idempotency keys, so the repeat's application is not priced or
 * underwritten again (it must still decode).
 */
import { randomUUID } from 'node:crypto';
import type { Application, IsoDate } from '../lib/application/types';
import type { InsurerDefinition } from '../lib/insurers/catalog';
import type { ParsedRequest, Reply, ServerDialect, WireRequest } from './dialects';
import { priceFor } from './pricing';
import type { InsurerProfile, MsRange } from './profiles';
import { QuoteBook, type Outcome, type Quote } from './quote-book';
import type { Random } from './random';
import type { InsurerMode, SandboxInsurerState, SandboxQuoteRecord } from './types';
import { underwrite } from './underwriting';

const OFFER_VALID_MS = 3 * 24 * 3600_000;
// long enough to outlive any quote deadline, short enough that a benchmark cannot exhaust memory
const QUOTE_LIMITS = { ttlMs: 10 * 60_000, maxEntries: 50_000 };
const RATELIMITED_PER_SECOND = 2;
const FLAKY_FAILURE_SHARE = 0.5;
const RETRY_AFTER = { 'Retry-After': '1' };

export interface SimulationEnv {
  readonly latencyScale: number;
  transientErrors: boolean;
  /** The day a quote is made, whose tariff prices it. */
  today(): IsoDate;
  /** Resolves after `ms`, or never if the sandbox closes first. */
  delay(ms: number): Promise<void>;
}

export class SimulatedInsurer {
  mode: InsurerMode = 'normal';
  calls = 0;
  /** Creates that opened a quote, refused at create or not; a create without a reference counts too. */
  creates = 0;
  /** Creates that repeated a known reference. */
  duplicateCreates = 0;
  private window = { start: 0, count: 0 };
  private readonly quotes: QuoteBook;
  private readonly normalRateLimit: number;

  constructor(
    readonly definition: InsurerDefinition,
    readonly profile: InsurerProfile,
    private readonly dialect: ServerDialect,
    private readonly env: SimulationEnv,
    private readonly random: Random,
  ) {
    // a compressed clock compresses the healthy limit with it, or a fast benchmark would trip it;
    // the "ratelimited" mode stays at its absolute low rate so it can be shown at any scale
    this.normalRateLimit = profile.rateLimitPerSecond / Math.max(env.latencyScale, 1e-6);
    this.quotes = new QuoteBook(definition.code, QUOTE_LIMITS);
  }

  state(): SandboxInsurerState {
    const { code, name } = this.definition;
    return { code, name, mode: this.mode, calls: this.calls, creates: this.creates, duplicateCreates: this.duplicateCreates };
  }

  /** Mode and counters only: the quotes stay, so quoting that is under way goes on across a reset. */
  reset(): void {
    this.mode = 'normal';
    this.calls = 0;
    this.creates = 0;
    this.duplicateCreates = 0;
    this.window = { start: 0, count: 0 };
  }

  quotesFor(applicationId: string): SandboxQuoteRecord[] {
    return this.quotes.recordFor(applicationId);
  }

  async handle(req: WireRequest): Promise<Reply> {
    this.calls += 1;
    const fault = this.injectedFault();
    if (fault) return fault;
    const parsed = this.dialect.parse(req);
    switch (parsed.op) {
      case 'reply':
        return parsed.reply;
      case 'create':
        await this.env.delay(this.scaled(this.profile.createLatencyMs));
        return this.create(parsed);
      case 'poll':
        await this.env.delay(this.scaled(this.profile.pollLatencyMs));
        return this.poll(parsed);
    }
  }

  private injectedFault(): Reply | undefined {
    const { random } = this;
    if (this.mode === 'down') return this.failure(503, 'service is down for maintenance', RETRY_AFTER);
    if (!this.admit()) return this.failure(429, 'rate limit exceeded', RETRY_AFTER);
    if (this.mode === 'flaky' && random() < FLAKY_FAILURE_SHARE) return this.failure(500, 'internal error');
    if (this.mode === 'normal' && this.env.transientErrors && random() < this.profile.transientErrorRate) {
      return this.failure(503, 'temporarily overloaded', RETRY_AFTER);
    }
    return undefined;
  }

  private failure(status: number, message: string, headers?: Record<string, string>): Reply {
    return { ...this.dialect.failure(status, message), headers };
  }

  /** A fixed one-second window: crude, like many real gateways, and easy to reason about in tests. */
  private admit(): boolean {
    const now = Date.now();
    const limit = this.mode === 'ratelimited' ? RATELIMITED_PER_SECOND : this.normalRateLimit;
    if (now - this.window.start >= 1000) this.window = { start: now, count: 0 };
    if (this.window.count >= limit) return false;
    this.window.count += 1;
    return true;
  }

  private create(req: Extract<ParsedRequest, { op: 'create' }>): Reply {
    const known = req.reference === undefined ? undefined : this.quotes.withReference(req.reference);
    if (known) {
      this.duplicateCreates += 1;
      return this.repeat(req.tag, known);
    }
    const priced = this.price(req.application);
    if ('error' in priced) return this.dialect.invalid(req.tag, priced.error);
    const decline = underwrite(this.definition.code, this.profile, req.application);
    const createdAt = Date.now();
    this.creates += 1;
    if (decline?.at === 'create') {
      const outcome = { kind: 'declined', reason: decline.reason } as const;
      this.quotes.open({ reference: req.reference, createdAt, readyAt: createdAt, polls: 0, outcome });
      return this.dialect.declined(req.tag, undefined, decline.reason);
    }

    const id = randomUUID();
    const readyInMs = this.scaled(this.profile.readyMs);
    const readyAt = createdAt + readyInMs;
    const outcome: Outcome = decline
      ? { kind: 'declined', reason: decline.reason }
      : {
          kind: 'offer',
          offer: {
            offerId: `${this.definition.code.toUpperCase()}-${randomUUID().slice(0, 8)}`,
            premium: priced.premium,
            coefficients: priced.coefficients,
            drivers: priced.drivers,
            territory: priced.territory,
            validUntil: new Date(readyAt + OFFER_VALID_MS),
          },
        };
    this.quotes.open({ id, reference: req.reference, createdAt, readyAt, polls: 0, outcome });
    return this.dialect.accepted(req.tag, id, this.hint(readyInMs));
  }

  /** The first create's answer again: a create answer never carries the result, only the id. */
  private repeat(tag: unknown, quote: Quote): Reply {
    if (quote.id === undefined) return this.dialect.declined(tag, undefined, quote.outcome.reason);
    return this.dialect.accepted(tag, quote.id, this.hint(quote.readyAt - Date.now()));
  }

  private price(application: Application): ReturnType<typeof priceFor> | { error: string } {
    try {
      return priceFor(this.profile, application, this.env.today());
    } catch (e) {
      // the tariff refuses what it cannot price (impossible experience, a date before any table)
      if (e instanceof RangeError) return { error: e.message };
      throw e;
    }
  }

  private poll(req: Extract<ParsedRequest, { op: 'poll' }>): Reply {
    const p = this.quotes.withId(req.id);
    if (!p) return this.dialect.unknownId(req.tag, req.id);
    p.polls += 1;
    const remaining = p.readyAt - Date.now();
    // "slow" holds every answer back, including ones that were ready before the switch
    if (this.mode === 'slow' || remaining > 0) {
      return this.dialect.processing(req.tag, req.id, this.hint(this.mode === 'slow' ? Infinity : remaining));
    }
    return p.outcome.kind === 'offer'
      ? this.dialect.offer(req.tag, req.id, p.outcome.offer)
      : this.dialect.declined(req.tag, req.id, p.outcome.reason);
  }

  /** The insurer's usual poll interval, or sooner when the answer is due sooner. */
  private hint(remainingMs: number): number {
    return Math.max(0, Math.round(Math.min(remainingMs, this.profile.pollHintMs * this.env.latencyScale)));
  }

  private scaled([min, max]: MsRange): number {
    return Math.round((min + this.random() * (max - min)) * this.env.latencyScale);
  }
}
