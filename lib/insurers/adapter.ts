import type { Application } from '../application/types';
import type { Coefficients, DriverRating, TerritoryFactor } from '../tariff/types';

/**
 * An insurer's wire dialect, as pure functions: how to ask and how to read the answer.
 * HTTP, timeouts and retries are the caller's; an adapter only maps shapes.
 * Adapters see only 2xx bodies: other statuses are classified by the caller.
 */
export interface InsurerHttpRequest {
  method: 'GET' | 'POST';
  path: string; // relative to the insurer's base URL, e.g. `/applications`
  body?: unknown;
  /** Headers of the dialect's own, beside the JSON ones the client always sends. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Our reference for one quote: one application at one insurer. It travels with every create, so
 * an insurer that sees it again (a worker died and another resumed the quote) answers with the
 * quote it already has instead of opening a second one.
 */
export function quoteReference(applicationId: string, insurerCode: string): string {
  return `${applicationId}:${insurerCode}`;
}

export type CreateOutcome =
  | { kind: 'accepted'; externalId: string; retryAfterMs?: number }
  | { kind: 'declined'; reason: string };

export type PollOutcome =
  | { kind: 'processing'; retryAfterMs?: number }
  | {
      kind: 'offer';
      premium: number;
      offerId: string;
      validUntil: string;
      coefficients: Coefficients;
      drivers: DriverRating[];
      territory?: TerritoryFactor; // when the insurer states КТ's parts
    }
  | { kind: 'declined'; reason: string };

export interface InsurerAdapter {
  readonly dialect: string;
  /** `reference` is `quoteReference(…)`; each dialect carries it in its own idiom. */
  createRequest(application: Application, reference: string): InsurerHttpRequest;
  parseCreated(body: unknown): CreateOutcome;
  pollRequest(externalId: string): InsurerHttpRequest;
  parsePoll(body: unknown): PollOutcome;
}

/** A body that does not match the dialect: the insurer broke its contract, not a transient fault. */
export class WireFormatError extends Error {
  constructor(message: string, readonly body?: unknown) {
    super(message);
    this.name = 'WireFormatError';
  }
}
