import type { Application } from '../application/types';
import type { Coefficients } from '../tariff/types';

/**
 * An insurer's wire dialect, as pure functions: how to ask and how to read the answer.
 * HTTP, timeouts and retries are the caller's; an adapter only maps shapes.
 * Adapters see only 2xx bodies: other statuses are classified by the caller.
 */
export interface InsurerHttpRequest {
  method: 'GET' | 'POST';
  path: string; // relative to the insurer's base URL, e.g. `/applications`
  body?: unknown;
}

export type CreateOutcome =
  | { kind: 'accepted'; externalId: string; retryAfterMs?: number }
  | { kind: 'declined'; reason: string };

export type PollOutcome =
  | { kind: 'processing'; retryAfterMs?: number }
  | { kind: 'offer'; premium: number; offerId: string; validUntil: string; coefficients: Coefficients }
  | { kind: 'declined'; reason: string };

export interface InsurerAdapter {
  readonly dialect: string;
  createRequest(application: Application, applicationId: string): InsurerHttpRequest;
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
