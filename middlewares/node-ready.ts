/**
 * Moleculer emits `$broker.started` before the middlewares' `started` hooks, and the channels
 * middleware subscribes its handlers in its hook: a message sent on `$broker.started` can reach a
 * channel nobody listens to yet (the in-memory adapter then drops it). Listed after the channels
 * middleware, this one announces NODE_READY_EVENT once every channel of the node is subscribed.
 */
import type { Middleware, ServiceBroker } from 'moleculer';
import { NODE_READY_EVENT } from '../lib/channels';

export function NodeReadyMiddleware(): Middleware {
  return {
    name: 'NodeReady',
    started(broker: ServiceBroker) {
      broker.broadcastLocal(NODE_READY_EVENT);
    },
  } as unknown as Middleware;
}
