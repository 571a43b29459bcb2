/**
 * Socket.IO on the gateway's HTTP server (CONTRACT §3): `apply` and `subscribe` with acks, and
 * delivery of `quote`/`completed` pushes to the sockets of an application's room, each state at
 * most once per socket (socket-deliveries.ts).
 *
 * Pushes ride on broker events, which a broker outage can lose; so the gateway watches the
 * applications its sockets wait for, and once one is past its deadline without `completed`
 * reaching them (or the bus has just come back), it reads the snapshot and sends what is missing.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { Server, type Socket } from 'socket.io';
import Redis from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { ServiceBroker } from 'moleculer';
import { applicationRoom, type SocketPush } from '../../lib/channels';
import { toProblem } from '../../lib/problem';
import { isPartUnreachable } from '../../lib/errors';
import { clientAddress, type TrustedProxies } from '../../lib/client-address';
import { bestOffer } from '../../lib/quotes/view';
import type { Quote } from '../../lib/quotes/types';
import type { ApplicationRateLimiter } from './rate-limit';
import { SocketDeliveries, type Delivery } from './socket-deliveries';
import type { AuditTrail } from './audit-trail';

type Ack = (answer: unknown) => void;

export interface SocketGateway {
  /** The server, for the other namespaces on it (/ops). */
  readonly io: Server;
  deliver(push: SocketPush): void;
  /** Sends what the watched applications' sockets missed; `all`: not only those past their deadline. */
  reconcile(all?: boolean): Promise<void>;
  close(): Promise<void>;
}

export interface SocketOptions {
  redisUrl?: string;
  trustedProxies: TrustedProxies;
  /** Records `apply` and `subscribe` (services/gateway/audit-trail.ts). */
  audit: AuditTrail;
  maxPayloadBytes: number;
  /** After the deadline, how long `completed` may take before the snapshot is asked (CONTRACT: deadline + 1 s). */
  completionGraceMs: number;
  reconcileEveryMs: number;
}

interface Snapshot {
  status: 'quoting' | 'completed';
  deadline: string;
  quotes: Quote[];
}

interface Watched {
  token: string;
  deadlineMs: number;
}

function ackOf(candidate: unknown): Ack {
  return typeof candidate === 'function' ? (candidate as Ack) : () => undefined;
}

function failure(err: unknown) {
  return { ok: false, error: toProblem(err) };
}

function deliveriesOf(socket: Socket): SocketDeliveries {
  return socket.data.deliveries as SocketDeliveries;
}

function send(socket: Socket, delivery: Delivery): void {
  socket.emit(delivery.event, delivery.data);
}

function finalQuotes(quotes: readonly Quote[]): Delivery[] {
  return quotes.filter((q) => q.status !== 'pending').map((q) => ({ event: 'quote', data: q }));
}

/** `completed` comes with every quote: a final quote whose own event is late or lost is sent before it. */
function withQuotesFirst(delivery: Delivery): Delivery[] {
  return delivery.event === 'completed' ? [...finalQuotes(delivery.data.quotes), delivery] : [delivery];
}

/** The deliveries a snapshot stands for: its final quotes, then `completed` if it is. */
function deliveriesFrom(id: string, snapshot: Snapshot): Delivery[] {
  if (snapshot.status !== 'completed') return finalQuotes(snapshot.quotes);
  const best = bestOffer(snapshot.quotes);
  return withQuotesFirst({ event: 'completed', data: { applicationId: id, status: 'completed', quotes: snapshot.quotes, ...(best ? { bestOffer: best } : {}) } });
}

const SNAPSHOT_WAIT_MS = 5_000;

/** From offers-stream; while no offers-stream node is up, from applications itself (same token check, same shape). */
async function readSnapshot(broker: ServiceBroker, id: string, token: string): Promise<Snapshot> {
  try {
    return await broker.call<Snapshot, { id: string; token: string }>('offers-stream.snapshot', { id, token });
  } catch (err) {
    if (!isPartUnreachable(err)) throw err;
    // a node that is starting takes connections before its services are all up: give them a moment
    await broker.waitForServices('applications', SNAPSHOT_WAIT_MS).catch(() => undefined);
    const view = await broker.call<Snapshot, { id: string; token: string }>('applications.snapshot', { id, token });
    return { status: view.status, deadline: view.deadline, quotes: view.quotes };
  }
}

function parseSubscribe(request: unknown): { id: string; token: string } | { field: string } {
  const { id, token } = (typeof request === 'object' && request !== null ? request : {}) as { id?: unknown; token?: unknown };
  if (typeof id !== 'string') return { field: 'id' };
  if (typeof token !== 'string') return { field: 'token' };
  return { id, token };
}

export function attachSocketGateway(server: http.Server, broker: ServiceBroker, limiter: ApplicationRateLimiter, options: SocketOptions): SocketGateway {
  const io = new Server(server, { maxHttpBufferSize: options.maxPayloadBytes, serveClient: true });
  const redisClients: Redis[] = [];
  if (options.redisUrl) {
    const pub = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
    const sub = pub.duplicate();
    // Redis down: pushes do not go through it (broker events do), so it is logged and ioredis reconnects
    for (const client of [pub, sub]) client.on('error', (err: Error) => broker.logger.debug(`socket.io redis: ${err.message}`));
    redisClients.push(pub, sub);
    io.adapter(createAdapter(pub, sub));
  }
  const watched = new Map<string, Watched>();

  const socketsIn = (applicationId: string): Socket[] => {
    const ids = io.of('/').adapter.rooms.get(applicationRoom(applicationId));
    if (!ids) return [];
    return [...ids].map((sid) => io.of('/').sockets.get(sid)).filter((s): s is Socket => s !== undefined);
  };

  const snapshotOf = (id: string, token: string) => readSnapshot(broker, id, token);

  io.on('connection', (socket: Socket) => {
    socket.data.deliveries = new SocketDeliveries();

    const address = clientAddress(socket.handshake.address, socket.handshake.headers['x-forwarded-for'], options.trustedProxies);
    const actor = `web:${address}`;

    socket.on('apply', async (application: unknown, maybeAck: unknown) => {
      const ack = ackOf(maybeAck);
      const id = crypto.randomUUID();
      const room = applicationRoom(id);
      try {
        await limiter.consume(`ip:${address}`);
        // join before creating: the first answers can arrive before `create` returns
        await socket.join(room);
        const created = await options.audit.around({ actor, action: 'create', applicationId: id }, () =>
          broker.call<{ id: string; token: string; deadline: string; insurers: unknown }, unknown>('applications.create', { application, id, partner: null }),
        );
        watched.set(id, { token: created.token, deadlineMs: Date.parse(created.deadline) });
        ack({ ok: true, id: created.id, token: created.token, deadline: created.deadline, insurers: created.insurers });
      } catch (err) {
        await socket.leave(room);
        ack(failure(err));
      }
    });

    socket.on('subscribe', async (request: unknown, maybeAck: unknown) => {
      const ack = ackOf(maybeAck);
      const asked = parseSubscribe(request);
      if ('field' in asked) {
        ack(failure({ code: 400, message: 'subscribe needs { id, token }', data: { errors: [{ field: asked.field, message: 'обязательное поле' }] } }));
        return;
      }
      const { id, token } = asked;
      const deliveries = deliveriesOf(socket);
      try {
        // checks the token before the socket joins anything
        await options.audit.around({ actor, action: 'subscribe', applicationId: id }, () => snapshotOf(id, token));
        deliveries.hold(id);
        await socket.join(applicationRoom(id));
        // read again after joining so that nothing falls between the snapshot and the room
        const snapshot = await snapshotOf(id, token);
        deliveries.seed(id, snapshot);
        watched.set(id, { token, deadlineMs: Date.parse(snapshot.deadline) });
        ack({ ok: true, snapshot: { status: snapshot.status, quotes: snapshot.quotes } });
      } catch (err) {
        ack(failure(err));
      } finally {
        for (const delivery of deliveries.release(id)) send(socket, delivery);
      }
    });
  });

  async function reconcile(all = false): Promise<void> {
    const now = Date.now();
    for (const [id, watch] of watched) {
      const sockets = socketsIn(id).filter((s) => !deliveriesOf(s).hasCompleted(id));
      if (sockets.length === 0) {
        watched.delete(id);
        continue;
      }
      if (!all && now < watch.deadlineMs + options.completionGraceMs) continue;
      try {
        const due = deliveriesFrom(id, await snapshotOf(id, watch.token));
        for (const socket of sockets) for (const d of due) if (deliveriesOf(socket).offer(d)) send(socket, d);
      } catch (err) {
        broker.logger.debug(`reconciling ${id}: ${(err as Error).message}`);
      }
    }
  }

  let reconciling = false;
  const timer = setInterval(() => {
    if (reconciling) return;
    reconciling = true;
    reconcile().finally(() => (reconciling = false));
  }, options.reconcileEveryMs);
  timer.unref();

  return {
    io,
    deliver(push: SocketPush) {
      const deliveries = withQuotesFirst({ event: push.event, data: push.data } as Delivery);
      for (const socket of socketsIn(deliveries[0].data.applicationId)) {
        for (const d of deliveries) if (deliveriesOf(socket).offer(d)) send(socket, d);
      }
    },
    reconcile,
    async close() {
      clearInterval(timer);
      io.disconnectSockets(true);
      // not io.close(): that would also close the HTTP server, which moleculer-web owns
      io.engine.close();
      await Promise.all(redisClients.map((c) => c.quit().catch(() => undefined)));
    },
  };
}
