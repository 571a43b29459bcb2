/**
 * Every augmentation of Moleculer's types lives here: what @moleculer/channels adds to service
 * schemas (a channel's options, including the NATS adapter's per-channel consumer options).
 * Moleculer's declaration files use `export =`, so the augmentations merge at their top level.
 */
import 'moleculer';

declare module 'moleculer/src/service' {
  interface ChannelSchema<TThis> {
    group?: string;
    maxInFlight?: number;
    maxRetries?: number;
    context?: boolean;
    nats?: { consumerOptions?: { config?: Record<string, unknown> }; streamConfig?: Record<string, unknown> };
    handler: (this: TThis, payload: unknown, raw?: unknown) => Promise<void> | void;
  }

  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ServiceSchema<TSettings, TMethods, TVars, TThis> {
    channels?: Record<string, ChannelSchema<TThis>>;
  }
}
