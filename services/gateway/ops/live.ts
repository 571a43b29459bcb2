/**
 * /ops live (CONTRACT §8): the Socket.IO namespace `/ops`, opened by the same session as the page.
 * While this gateway has viewers it reads the cluster's state every `everyMs` and sends it as
 * `state`; `sandbox-mode` { code, mode } switches a sandbox insurer and answers with an ack.
 */
import type { Namespace, Server, Socket } from 'socket.io';
import type { ServiceBroker } from 'moleculer';
import type { OpsSettings } from '../../../lib/config';
import { toProblem } from '../../../lib/problem';
import { readOpsState, type OpsState } from '../../ops/cluster-state';
import { requestAccess } from './http';

export const OPS_NAMESPACE = '/ops';

export interface OpsLive {
  close(): void;
}

type Ack = (answer: unknown) => void;

export function attachOpsLive(io: Server, broker: ServiceBroker, settings: OpsSettings, everyMs: number): OpsLive {
  const nsp: Namespace = io.of(OPS_NAMESPACE);
  nsp.use((socket, next) => {
    const access = requestAccess(settings, socket.request);
    next(access === 'allowed' ? undefined : new Error(access)); // the page reads `forbidden` or `login`
  });

  let reading = false;
  const sendState = async (to: Namespace | Socket) => {
    let state: OpsState;
    try {
      state = await readOpsState(broker);
    } catch (err) {
      broker.logger.debug(`ops state: ${(err as Error).message}`);
      return;
    }
    // local: with the Redis adapter every gateway reads for its own viewers
    if (to === nsp) nsp.local.emit('state', state);
    else to.emit('state', state);
  };

  // a session that ends while its socket is open ends the socket too (the page then asks for the key)
  const dropExpired = () => {
    for (const socket of nsp.sockets.values()) if (requestAccess(settings, socket.request) !== 'allowed') socket.disconnect(true);
  };

  const timer = setInterval(() => {
    if (settings.access === 'key') dropExpired();
    if (reading || nsp.sockets.size === 0) return;
    reading = true;
    void sendState(nsp).finally(() => (reading = false));
  }, everyMs);
  timer.unref();

  nsp.on('connection', (socket) => {
    void sendState(socket);
    socket.on('sandbox-mode', async (request: unknown, maybeAck: unknown) => {
      const ack: Ack = typeof maybeAck === 'function' ? (maybeAck as Ack) : () => undefined;
      const { code, mode } = (typeof request === 'object' && request !== null ? request : {}) as { code?: unknown; mode?: unknown };
      if (requestAccess(settings, socket.request) !== 'allowed') {
        ack({ ok: false, error: { status: 401, detail: 'the ops session has ended' } });
        socket.disconnect(true);
        return;
      }
      try {
        const insurer = await broker.call('sandbox.setMode', { code, mode }, { retries: 0 });
        broker.logger.info(`ops: sandbox insurer ${String(code)} set to ${String(mode)}`);
        ack({ ok: true, insurer });
        void sendState(nsp);
      } catch (err) {
        ack({ ok: false, error: toProblem(err) });
      }
    });
  });

  return {
    close() {
      clearInterval(timer);
      nsp.disconnectSockets(true);
    },
  };
}
