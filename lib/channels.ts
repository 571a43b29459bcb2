/** Durable messages between parts (@moleculer/channels) and the broker events that follow them. */
import type { Application } from './application/types';
import type { AnonymisedApplication } from './personal-data/split';
import type { Quote } from './quotes/types';

/** applications → every insurer service (one consumer group each): ask these insurers. */
export const QUOTE_REQUESTED = 'osago.quote.requested';
export interface QuoteRequested<A extends AnonymisedApplication = Application> {
  applicationId: string;
  application: A;
  deadlineMs: number;
  insurers: string[]; // codes to ask; an insurer not listed ignores the message
}

/**
 * QUOTE_REQUESTED as it travels: JetStream keeps messages in its files, so the personal part is
 * sealed under the application's id (lib/personal-data/application-seal.ts) and opened by the
 * insurer service, which shares DATA_KEY.
 */
export type SealedQuoteRequested = QuoteRequested<AnonymisedApplication>;

/** an insurer service → applications: one insurer reached a final state. */
export const QUOTE_SETTLED = 'osago.quote.settled';
export type QuoteSettled = Quote;

/** applications → offers-stream (balanced events, after the change is stored). */
export const APPLICATION_QUOTE_EVENT = 'application.quote';
export const APPLICATION_COMPLETED_EVENT = 'application.completed';

/** offers-stream → every gateway node: deliver to the sockets this node holds for the application of `data`. */
export const SOCKET_PUSH_EVENT = 'socket.push';
export interface SocketPush {
  event: 'quote' | 'completed';
  data: unknown; // as clients see it
  applicationId: string;
  /** The event's place among the application's events (lib/quotes/types.ts, `seq`). */
  seq: number;
}

export function applicationRoom(applicationId: string): string {
  return `application:${applicationId}`;
}

/** an insurer service → the same insurer's service on every node: it answered 429, wait until then. */
export const INSURER_RATE_LIMITED_EVENT = 'insurer.rate-limited';

/** Local only: this node's services are started and its channels subscribed (middlewares/node-ready.ts). */
export const NODE_READY_EVENT = '$osago.node-ready';

/**
 * nats.js captures a stack trace in advance for every request (each JetStream publish waits for its
 * ack through one), to decorate a timeout that almost never comes: profiled, that was 2 ms of CPU
 * per application on an insurer worker. Our errors say which channel failed without it.
 */
export const NO_ASYNC_TRACES = true;
export interface InsurerRateLimited {
  code: string;
  untilMs: number;
}
