/**
 * Socket.IO clients for tests (CONTRACT §3), and a log of every `quote` and `completed` event a
 * client receives, kept per application with `on` (never `once`), so a duplicate is counted.
 */
import { io as connect, type Socket } from 'socket.io-client';
import type { Quote } from '../../lib/quotes/types';
import { todayInMoscow } from '../../lib/dates';
import { sampleApplication } from '../unit/fixtures/application';
import { api, eventually, type RunningSystem } from './system';

export type Ack = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const FINAL_STATUSES: readonly string[] = ['offer', 'declined', 'failed', 'unavailable', 'timeout'];

export interface CompletedEvent {
  applicationId: string;
  status: string;
  quotes: Quote[];
  bestOffer?: Quote;
}

/** A connected client on the websocket transport, without reconnection (a test decides when to reconnect). */
export function connectClient(baseUrl: string): Promise<Socket> {
  const socket = connect(baseUrl, { transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

export function emitAck(socket: Socket, event: string, payload: unknown, timeoutMs = 10_000): Promise<Ack> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<Ack>;
}

/** Everything the attached sockets received, by application id, with the time each arrived. */
export class EventLog {
  readonly quotes = new Map<string, Quote[]>();
  readonly completed = new Map<string, Array<CompletedEvent & { receivedAt: number }>>();

  attach(socket: Socket): this {
    socket.on('quote', (quote: Quote) => push(this.quotes, quote.applicationId, quote));
    socket.on('completed', (done: CompletedEvent) => push(this.completed, done.applicationId, { ...done, receivedAt: Date.now() }));
    return this;
  }

  completedOf(id: string): Array<CompletedEvent & { receivedAt: number }> {
    return this.completed.get(id) ?? [];
  }

  quotesOf(id: string): Quote[] {
    return this.quotes.get(id) ?? [];
  }

  /** Each insurer's received states in arrival order, e.g. { 'tri-kita': ['timeout'] }. */
  statesOf(id: string): Record<string, string[]> {
    const states: Record<string, string[]> = {};
    for (const q of this.quotesOf(id)) (states[q.insurer.code] ??= []).push(q.status);
    return states;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Waits out any deadline sweep that could still emit a late duplicate. Such a sweep read an
 * application before it completed; sweeps never overlap, so once a later sweep has completed a
 * fresh application (created now, after everything awaited so far) every stale one is over. Each
 * client has then had its events too: one connection delivers them in order. The caller keeps some
 * insurer in the sandbox's `slow` mode, so that only the sweep can complete the fresh application.
 */
export async function waitOutTheSweep(system: RunningSystem, clients: Array<{ socket: Socket; log: EventLog }>): Promise<void> {
  const fresh = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
  if (fresh.status !== 202) throw new Error(`the fresh application was refused: ${fresh.status} ${fresh.text}`);
  const { id, token } = fresh.json as { id: string; token: string };
  for (const { socket } of clients) {
    const sub = await emitAck(socket, 'subscribe', { id, token });
    if (!sub.ok) throw new Error(`subscribe to the fresh application failed: ${JSON.stringify(sub)}`);
  }
  await eventually(
    () => (clients.every(({ log }) => log.completedOf(id).length > 0) ? true : undefined),
    system.config.quoteDeadlineMs + 10_000,
    20,
    () => 'the fresh application did not complete on every client',
  );
  const [done] = clients[0].log.completedOf(id);
  if (!done.quotes.some((q) => q.status === 'timeout')) throw new Error('the fresh application was not completed by the sweep: keep an insurer in `slow` mode');
}
