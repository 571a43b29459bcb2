/**
 * The applications service's webhooks: the store for its engine, the dispatcher and its HTTP sender,
 * behind the few calls the service makes.
 */
import type { AppConfig } from '../../../lib/config';
import type { ApplicationDoc } from '../stores';
import { newWebhookRecord, WebhookDispatcher } from './dispatcher';
import { EmbeddedWebhookStore } from './embedded';
import { PostgresWebhookStore } from './postgres';
import { createWebhookSender } from './sender';
import type { WebhookRecord, WebhookStore } from './types';
import { deliveriesView } from './views';

export type { DeliveryAttempts, WebhookRecord, WebhookStore } from './types';
export { checkWebhookPartner } from './views';

/**
 * MongoDB has no webhook store of its own yet: its records go to this node's DATA_DIR, durable
 * across a restart of this node but not shared (README, known limits).
 */
export function createWebhookStore(config: Pick<AppConfig, 'storeEngine' | 'databaseUrl' | 'dataDir'>): WebhookStore {
  if (config.storeEngine === 'postgres' && config.databaseUrl) return new PostgresWebhookStore(config.databaseUrl);
  return new EmbeddedWebhookStore(config.dataDir);
}

export interface WebhooksHost {
  load(applicationId: string): Promise<ApplicationDoc | undefined>;
  owner: string;
  onError(message: string, err: unknown): void;
}

export class Webhooks {
  private readonly store: WebhookStore;
  private readonly sender;
  private readonly dispatcher: WebhookDispatcher;

  constructor(config: AppConfig, host: WebhooksHost) {
    this.store = createWebhookStore(config);
    this.sender = createWebhookSender(config.webhooks);
    this.dispatcher = new WebhookDispatcher({ ...host, store: this.store, send: this.sender.send, settings: config.webhooks, now: Date.now });
  }

  async connect(): Promise<void> {
    await this.store.connect();
    this.dispatcher.start();
  }

  async close(): Promise<void> {
    await this.dispatcher.stop();
    await this.sender.close();
    await this.store.close();
  }

  /** Before the application is stored: false when its id has a record already. */
  async open(doc: ApplicationDoc, partner: string, url: string): Promise<WebhookRecord | undefined> {
    const record = newWebhookRecord(doc, partner, url);
    return (await this.store.create(record)) ? record : undefined;
  }

  forget(applicationId: string): Promise<void> {
    return this.store.remove(applicationId);
  }

  /** A new application this node stored: whether its events need a look in the store at all. */
  remember(applicationId: string, hasWebhook: boolean): void {
    this.dispatcher.remember(applicationId, hasWebhook);
  }

  /** The application has a new event (stored already). */
  notify(applicationId: string, partner?: string): void {
    this.dispatcher.notify(applicationId, partner);
  }

  async deliveries(applicationId: string) {
    return deliveriesView(await this.store.find(applicationId));
  }
}
