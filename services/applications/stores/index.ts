/**
 * Picks the applications' store for `config.storeEngine` (decided once in lib/config.ts: DATABASE_URL,
 * then MONGO_URI, then the embedded files under DATA_DIR). Creating a store opens nothing: call
 * `connect()` before use and `close()` after.
 */
import type { Service } from 'moleculer';
import type { AppConfig } from '../../../lib/config';
import type { Keyring } from '../../../lib/personal-data/keyring';
import { createEmbeddedStore } from './embedded';
import { createMongoStore } from './mongo';
import { PostgresStore } from './postgres';
import { SealedApplicationStore } from './sealed';
import type { ApplicationStore } from './types';

export type { ApplicationDoc, ApplicationStore, Expired, IdempotencyRecord, IdempotencyStore, PartnerPage } from './types';

/** The store the service uses: the engine, with personal data sealed on the way in and opened on the way out. */
export function createSealedApplicationStore(config: Pick<AppConfig, 'storeEngine' | 'databaseUrl' | 'mongoUri' | 'dataDir'>, host: Service, keyring: Keyring): ApplicationStore {
  return new SealedApplicationStore(createApplicationStore(config, host), keyring);
}

/** The bare engine. `host`: the service that owns the store (the MongoDB adapter logs through it). */
export function createApplicationStore(config: Pick<AppConfig, 'storeEngine' | 'databaseUrl' | 'mongoUri' | 'dataDir'>, host: Service): ApplicationStore {
  switch (config.storeEngine) {
    case 'postgres':
      if (!config.databaseUrl) throw new Error('the postgres store needs DATABASE_URL');
      return new PostgresStore(config.databaseUrl);
    case 'mongo':
      if (!config.mongoUri) throw new Error('the mongo store needs MONGO_URI');
      return createMongoStore({ uri: config.mongoUri }, host);
    case 'embedded':
      return createEmbeddedStore(config.dataDir);
  }
}
