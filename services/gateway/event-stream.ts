/**
 * `GET /applications/{id}/events` (CONTRACT §2): an application's events as server-sent events.
 *
 * The store numbers every event (services/applications/events.ts), so a stream is "everything
 * above the last number sent". It opens by listening to the bus, then reads what the store holds
 * above Last-Event-ID, then sends live pushes in number order. A push that skips a number (the
 * cluster delivers two settles out of order, or one was lost while the bus reconnected) makes it
 * read the store again instead of guessing: what is missed is sent, nothing is sent twice, on any
 * gateway. A slow poll of the store backs the bus up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SocketPush } from '../../lib/channels';
import { BadRequestError } from '../../lib/errors';
import type { ApplicationEvent, EventsAfter } from '../applications/events';

export interface EventStreamSettings {
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** The store is read again this often in case the bus lost a push. */
  refreshMs: number;
}

export const EVENT_STREAM_DEFAULTS: EventStreamSettings = { heartbeatMs: 15_000, refreshMs: 5_000 };

type Listener = (push: SocketPush) => void;

/** This gateway's open streams by application: what the bus's pushes are handed to. */
export class EventStreamHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly open = new Set<() => void>();

  /** `end` is called when the gateway stops, unless the stream ended first (the function returned). */
  track(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  /** Ends every open stream: a client reconnects elsewhere with Last-Event-ID and misses nothing. */
  closeAll(): void {
    for (const end of [...this.open]) end();
  }

  listen(applicationId: string, listener: Listener): () => void {
    let set = this.listeners.get(applicationId);
    if (!set) this.listeners.set(applicationId, (set = new Set()));
    set.add(listener);
    return () => {
      // safe to call twice: only this listener's set, and only while it is the one registered
      if (!set.delete(listener) || set.size > 0) return;
      if (this.listeners.get(applicationId) === set) this.listeners.delete(applicationId);
    };
  }

  deliver(push: SocketPush): void {
    for (const listener of this.listeners.get(push.applicationId) ?? []) listener(push);
  }

  get size(): number {
    return this.listeners.size;
  }
}

/** `Last-Event-ID`: absent means from the start; anything but a whole number is refused. */
export function lastEventIdOf(req: IncomingMessage): number {
  const given = req.headers['last-event-id'];
  if (given === undefined || given === '') return 0;
  const text = Array.isArray(given) ? given[0] : given;
  if (!/^\d{1,9}$/.test(text.trim())) {
    throw new BadRequestError('Last-Event-ID must be the id of an event of this stream', [{ field: 'Last-Event-ID', message: 'not a whole number' }]);
  }
  return Number(text.trim());
}

export function formatEvent(event: ApplicationEvent): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export interface StreamRequest {
  applicationId: string;
  after: number;
  /** The store's events above a number; rejects (NotFound) for an application the caller may not see. */
  read(after: number): Promise<EventsAfter>;
}

/**
 * Serves one stream. Rejects before anything is written when the first read fails (unknown
 * application, not this partner's), so the caller answers with a problem instead.
 */
export async function serveEventStream(res: ServerResponse, hub: EventStreamHub, stream: StreamRequest, settings: EventStreamSettings): Promise<void> {
  let lastSent = stream.after;
  let ended = false;
  let work = Promise.resolve();
  const early: SocketPush[] = [];
  let opened = false;

  const unlisten = hub.listen(stream.applicationId, (push) => {
    if (!opened) early.push(push);
    else schedule(() => onPush(push));
  });
  const cleanup = () => {
    ended = true;
    untrack();
    unlisten();
    clearInterval(heartbeat);
    clearInterval(refresher);
  };
  let untrack: () => unknown = () => undefined;

  // a client gone while the first read runs: nothing is opened for it
  let gone = false;
  const markGone = () => (gone = true);
  res.once('close', markGone);
  const first = await stream.read(lastSent).catch((err: unknown) => {
    unlisten();
    throw err;
  });
  res.off('close', markGone);
  if (gone || res.destroyed) {
    unlisten();
    return;
  }

  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no', // nginx: pass each event on as it comes
  });
  res.write(': stream of application events\n\n');
  untrack = hub.track(() => {
    cleanup();
    res.end();
  });
  // the response's close: the client went away (a request's own close can come as soon as its body is read)
  res.on('close', cleanup);
  res.on('error', cleanup);
  const heartbeat = setInterval(() => ended || res.write(': keep-alive\n\n'), settings.heartbeatMs).unref();
  const refresher = setInterval(() => schedule(refresh), settings.refreshMs).unref();

  function schedule(step: () => Promise<void> | void): void {
    // a failed read is tried again by the next refresh
    work = work.then(() => (ended ? undefined : step())).catch(() => undefined);
  }

  function send(events: readonly ApplicationEvent[]): void {
    for (const event of events) {
      if (ended || event.seq <= lastSent) continue;
      res.write(formatEvent(event));
      lastSent = event.seq;
      if (event.type === 'completed') {
        cleanup();
        res.end();
      }
    }
  }

  /** Events read from the store; past its `completed` (a resume from its id, say) there is nothing left to wait for. */
  function sendRead(read: EventsAfter): void {
    send(read.events);
    if (!ended && read.completed && lastSent >= read.lastSeq) {
      cleanup();
      res.end();
    }
  }

  async function refresh(): Promise<void> {
    sendRead(await stream.read(lastSent));
  }

  function onPush(push: SocketPush): Promise<void> | void {
    if (push.seq <= lastSent) return;
    if (push.seq === lastSent + 1) return send([{ seq: push.seq, type: push.event, data: push.data }]);
    return refresh();
  }

  sendRead(first);
  opened = true;
  for (const push of early) schedule(() => onPush(push));
}
