/**
 * Webhook deliveries, kept apart from the applications: one record per application that has an
 * X-Callback-Url, with how far its events have been delivered (`sent`, the store's sequence
 * numbers: services/applications/events.ts) and each delivery's attempts. The events themselves
 * are read from the application, so the record is the whole queue: durable where the store is,
 * shared by every node where the store is shared.
 */
export interface DeliveryAttempts {
  id: string; // the same on every retry: X-Osago-Delivery
  seq: number;
  type: 'quote' | 'completed';
  attempts: number;
  /** The receiver's HTTP status, or why there was none: `timeout`, `network-error`, `address-refused`, `abandoned`. */
  lastStatus?: number | string;
  deliveredAt?: string;
  firstAttemptAtMs?: number;
}

export interface WebhookRecord {
  applicationId: string;
  partner: string;
  url: string;
  sent: number; // every event numbered up to this one was delivered
  done: boolean; // `completed` delivered, or given up
  nextAttemptAtMs: number; // when the scan looks at it again
  retryAtMs: number; // after a failed delivery, nothing is sent before this (later events wait their turn)
  leaseOwner: string | null;
  leaseUntilMs: number; // while a node delivers, the others leave it alone
  deliveries: DeliveryAttempts[];
}

export interface WebhookStore {
  connect(): Promise<void>;
  close(): Promise<void>;
  /** Stores a new record; false when the application already has one. */
  create(record: WebhookRecord): Promise<boolean>;
  remove(applicationId: string): Promise<void>;
  find(applicationId: string): Promise<WebhookRecord | undefined>;
  /** Takes the lease when nobody holds it, the record is not done and not waiting for a retry; undefined otherwise. */
  claim(applicationId: string, owner: string, nowMs: number, leaseMs: number): Promise<WebhookRecord | undefined>;
  /** Writes what a delivery run changed, while `owner` still holds the lease; false when it lost it. */
  save(record: WebhookRecord, owner: string): Promise<boolean>;
  /** Applications whose deliveries are due and not leased, earliest first. */
  due(nowMs: number, limit: number): Promise<string[]>;
}

export function deliveryId(applicationId: string, seq: number): string {
  return `${applicationId}.${seq}`;
}
