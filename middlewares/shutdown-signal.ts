/**
 * An AbortSignal per broker that fires when the broker starts stopping, before any service stops.
 * Long waits (a quote loop sleeping between polls, an HTTP call in flight) listen to it, so a
 * stopping node lets go of its work at once instead of holding the shutdown for up to a deadline.
 */
import type { Middleware, ServiceBroker } from 'moleculer';

const signals = new WeakMap<ServiceBroker, AbortController>();

export function shutdownSignal(broker: ServiceBroker): AbortSignal {
  let controller = signals.get(broker);
  if (!controller) {
    controller = new AbortController();
    signals.set(broker, controller);
  }
  return controller.signal;
}

/** `beforeAbort` runs first: a node stops taking work before it lets go of what it holds. */
export function ShutdownSignalMiddleware(beforeAbort?: (broker: ServiceBroker) => void): Middleware {
  return {
    name: 'ShutdownSignal',
    stopping(broker: ServiceBroker) {
      beforeAbort?.(broker);
      shutdownSignal(broker); // make sure one exists
      signals.get(broker)?.abort();
    },
  } as unknown as Middleware;
}

/** Sleeps `ms`, or less if `signal` aborts first. */
export function sleepUnless(signal: AbortSignal, ms: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
