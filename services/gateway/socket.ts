/**
 * Socket.IO on the gateway's HTTP server (CONTRACT §3): `apply` and `subscribe` with acks, and
 * delivery of `quote`/`completed` pushes to the sockets of an application's room.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { Server, type Socket } from 'socket.io';
import Redis from 'ioredis';
import { createAdapter } from '@socket.io/redis-adapter';
import type { ServiceBroker } from 'moleculer';
import { applicationRoom, type SocketPush } from '../../lib/channels';
import { toProblem } from '../../lib/problem';
import type { ApplicationRateLimiter } from './rate-limit';

type Ack = (answer: unknown) => void;

export interface SocketGateway {
  deliver(push: SocketPush): void;
  close(): Promise<void>;
}

function ackOf(candidate: unknown): Ack {
  return typeof candidate === 'function' ? (candidate as Ack) : () => undefined;
}

function failure(err: unknown) {
  return { ok: false, error: toProblem(err) };
}

export function attachSocketGateway(
  server: http.Server,
  broker: ServiceBroker,
  limiter: ApplicationRateLimiter,
  options: { redisUrl?: string; maxPayloadBytes: number },
): SocketGateway {
  const io = new Server(server, { maxHttpBufferSize: options.maxPayloadBytes, serveClient: true });
  const redisClients: Redis[] = [];
  if (options.redisUrl) {
    const pub = new Redis(options.redisUrl);
    const sub = pub.duplicate();
    redisClients.push(pub, sub);
    io.adapter(createAdapter(pub, sub));
  }

  io.on('connection', (socket: Socket) => {
    socket.on('apply', async (application: unknown, maybeAck: unknown) => {
      const ack = ackOf(maybeAck);
      const id = crypto.randomUUID();
      const room = applicationRoom(id);
      try {
        await limiter.consume(`ip:${socket.handshake.address}`);
        // join before creating: the first answers can arrive before `create` returns
        await socket.join(room);
        const created = await broker.call<Record<string, unknown>, unknown>('applications.create', { application, id, partner: null });
        ack({ ok: true, id: created.id, token: created.token, deadline: created.deadline, insurers: created.insurers });
      } catch (err) {
        await socket.leave(room);
        ack(failure(err));
      }
    });

    socket.on('subscribe', async (request: unknown, maybeAck: unknown) => {
      const ack = ackOf(maybeAck);
      const { id, token } = (typeof request === 'object' && request !== null ? request : {}) as { id?: unknown; token?: unknown };
      if (typeof id !== 'string' || typeof token !== 'string') {
        ack(failure({ code: 400, message: 'subscribe needs { id, token }', data: { errors: [{ field: typeof id !== 'string' ? 'id' : 'token', message: 'обязательное поле' }] } }));
        return;
      }
      try {
        await broker.call('offers-stream.snapshot', { id, token }); // checks the token first
        await socket.join(applicationRoom(id));
        // read again after joining so that nothing falls between the snapshot and the room
        const snapshot = await broker.call<{ status: string; quotes: unknown[] }, unknown>('offers-stream.snapshot', { id, token });
        ack({ ok: true, snapshot: { status: snapshot.status, quotes: snapshot.quotes } });
      } catch (err) {
        ack(failure(err));
      }
    });
  });

  return {
    deliver(push: SocketPush) {
      io.local.to(push.room).emit(push.event, push.data);
    },
    async close() {
      io.disconnectSockets(true);
      // not io.close(): that would also close the HTTP server, which moleculer-web owns
      io.engine.close();
      await Promise.all(redisClients.map((c) => c.quit().catch(() => undefined)));
    },
  };
}
