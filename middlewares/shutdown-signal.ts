/**
 * A stop signal per broker that fires when the broker starts stopping, before any service stops.
 * Long waits (a quote loop sleeping between polls, an HTTP call in flight) listen to it, so a
 * stopping node lets go of its work at once instead of holding the shutdown for up to a deadline.
 */
import type { Middleware, ServiceBroker } from 'moleculer';
import { StopSignal } from '../lib/stop-signal';

export { sleepUnless } from '../lib/stop-signal';

const signals = new WeakMap<ServiceBroker, StopSignal>();

export function shutdownSignal(broker: ServiceBroker): StopSignal {
  let signal = signals.get(broker);
  if (!signal) {
    signal = new StopSignal();
    signals.set(broker, signal);
  }
  return signal;
}

/** `beforeAbort` runs first: a node stops taking work before it lets go of what it holds. */
export function ShutdownSignalMiddleware(beforeAbort?: (broker: ServiceBroker) => void): Middleware {
  return {
    name: 'ShutdownSignal',
    stopping(broker: ServiceBroker) {
      beforeAbort?.(broker);
      shutdownSignal(broker).stop();
    },
  } as unknown as Middleware;
}
