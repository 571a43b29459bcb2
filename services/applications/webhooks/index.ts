/** The webhook store for the applications' engine (lib/config.ts decides it once). */
import type { AppConfig } from '../../../lib/config';
import { EmbeddedWebhookStore } from './embedded';
import { PostgresWebhookStore } from './postgres';
import type { WebhookStore } from './types';

export type { DeliveryAttempts, WebhookRecord, WebhookStore } from './types';

/**
 * MongoDB has no webhook store of its own yet: its records go to this node's DATA_DIR, durable
 * across a restart of this node but not shared (README, known limits).
 */
export function createWebhookStore(config: Pick<AppConfig, 'storeEngine' | 'databaseUrl' | 'dataDir'>): WebhookStore {
  if (config.storeEngine === 'postgres' && config.databaseUrl) return new PostgresWebhookStore(config.databaseUrl);
  return new EmbeddedWebhookStore(config.dataDir);
}
