/**
 * Every augmentation of Moleculer's types lives here: what @moleculer/channels and moleculer-db
 * add to service schemas, and the broker method the channels middleware installs.
 * Moleculer's declaration files use `export =`, so the augmentations merge at their top level.
 */
import 'moleculer';

declare module 'moleculer/src/service' {
  interface ChannelSchema<TThis> {
    group?: string;
    maxInFlight?: number;
    maxRetries?: number;
    context?: boolean;
    handler: (this: TThis, payload: unknown, raw?: unknown) => Promise<void> | void;
  }

  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface ServiceSchema<TSettings, TMethods, TVars, TThis> {
    channels?: Record<string, ChannelSchema<TThis>>;
    adapter?: unknown;
    collection?: string;
  }
}
