/**
 * Delivers an application's events to its X-Callback-Url, in order, at least once (CONTRACT §2).
 *
 * The store's record is the queue (./types.ts): the events are read from the application above
 * `sent`, a node takes the record's lease to deliver them, and a failed delivery sets the time of
 * its retry in the record, which the scan of any node picks up when due. So nothing is lost with a
 * node: another node's scan takes the record once its lease runs out.
 *
 * A node told of a new event (`notify`) delivers at once. When another node holds the lease, this
 * one leaves it: that node reads the application again after it releases the lease, and our event
 * was stored before we tried to take it, so it sees it.
 *
 * Each partner has its own lane of at most `perPartnerConcurrency` applications at once, so one
 * partner's slow or dead receiver delays nobody else's deliveries, and no delivery waits in the
 * quoting path.
 */
import type { WebhookSettings } from '../../../lib/config';
import { retryDelayMs } from '../../../lib/webhooks/backoff';
import { eventsAfter, type ApplicationEvent } from '../events';
import type { ApplicationDoc } from '../stores';
import type { SendWebhook } from './sender';
import { deliveryId, type DeliveryAttempts, type WebhookRecord, type WebhookStore } from './types';

export interface DispatcherDeps {
  store: WebhookStore;
  load(applicationId: string): Promise<ApplicationDoc | undefined>;
  send: SendWebhook;
  settings: WebhookSettings;
  owner: string; // this node, as the lease names it
  now(): number;
  onError(message: string, err: unknown): void;
}

/** After its last event so far, a record is looked at again this long after the deadline, in case a notification was lost. */
const AFTER_DEADLINE_MS = 5_000;
/** How many applications that have no webhook this node remembers, to skip the store for their events. */
const WITHOUT_WEBHOOK_MEMORY = 50_000;

interface Lane {
  running: number;
  queue: Set<string>;
}

/** The body POSTed for one event; the same bytes on every retry. */
export function deliveryBody(doc: ApplicationDoc, event: ApplicationEvent): string {
  const data = event.data as { at?: string };
  const createdAt = event.type === 'completed' ? (doc.completedAt ?? doc.deadline) : (data.at ?? doc.createdAt);
  return JSON.stringify({ id: deliveryId(doc.id, event.seq), type: event.type, applicationId: doc.id, createdAt, data: event.data });
}

export class WebhookDispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly active = new Set<string>(); // applications being delivered by this node
  private readonly again = new Set<string>(); // told of news while being delivered
  private readonly withoutWebhook = new Map<string, true>();
  private readonly runs = new Set<Promise<void>>();
  private scanTimer: NodeJS.Timeout | undefined;
  private scanning = false;
  private stopped = false;

  constructor(private readonly deps: DispatcherDeps) {}

  start(): void {
    this.scanTimer = setInterval(() => void this.scan(), this.deps.settings.scanMs);
    void this.scan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    await Promise.allSettled([...this.runs]);
  }

  /** A new application: with `record`, its webhook is created before the application is stored. */
  remember(applicationId: string, hasWebhook: boolean): void {
    if (!hasWebhook) this.rememberWithout(applicationId);
  }

  /** The application has a new event: deliver it if it has a webhook. */
  notify(applicationId: string, partner?: string): void {
    if (this.stopped || this.withoutWebhook.has(applicationId)) return;
    if (partner) return this.enqueue(partner, applicationId);
    this.deps.store.find(applicationId).then(
      (record) => (record ? this.enqueue(record.partner, applicationId) : this.rememberWithout(applicationId)),
      (err: unknown) => this.deps.onError(`webhook lookup for ${applicationId} failed; the scan retries`, err),
    );
  }

  /** Records due (a retry, a lease run out, a lost notification), from the shared store. */
  async scan(): Promise<void> {
    if (this.scanning || this.stopped) return;
    this.scanning = true;
    try {
      const due = await this.deps.store.due(this.deps.now(), 500);
      for (const id of due) this.notify(id);
    } catch (err) {
      this.deps.onError('webhook scan failed', err);
    } finally {
      this.scanning = false;
    }
  }

  private rememberWithout(applicationId: string): void {
    this.withoutWebhook.set(applicationId, true);
    if (this.withoutWebhook.size > WITHOUT_WEBHOOK_MEMORY) this.withoutWebhook.delete(this.withoutWebhook.keys().next().value as string);
  }

  private enqueue(partner: string, applicationId: string): void {
    if (this.active.has(applicationId)) {
      this.again.add(applicationId);
      return;
    }
    let lane = this.lanes.get(partner);
    if (!lane) this.lanes.set(partner, (lane = { running: 0, queue: new Set() }));
    lane.queue.add(applicationId);
    this.drain(partner, lane);
  }

  private drain(partner: string, lane: Lane): void {
    while (!this.stopped && lane.running < this.deps.settings.perPartnerConcurrency && lane.queue.size > 0) {
      const id = lane.queue.values().next().value as string;
      lane.queue.delete(id);
      if (this.active.has(id)) {
        this.again.add(id);
        continue;
      }
      lane.running++;
      this.active.add(id);
      const run = this.deliverAll(id)
        .catch((err: unknown) => this.deps.onError(`webhook delivery for ${id} failed; the scan retries`, err))
        .finally(() => {
          this.runs.delete(run);
          this.active.delete(id);
          lane.running--;
          if (this.again.delete(id)) lane.queue.add(id);
          if (lane.running === 0 && lane.queue.size === 0) this.lanes.delete(partner);
          else this.drain(partner, lane);
        });
      this.runs.add(run);
    }
  }

  /** Delivers under the lease until caught up, then reads once more for what came meanwhile. */
  private async deliverAll(applicationId: string): Promise<void> {
    for (let round = 0; round < 20 && !this.stopped; round++) {
      const leaseMs = 2 * this.deps.settings.timeoutMs + 5_000;
      const record = await this.deps.store.claim(applicationId, this.deps.owner, this.deps.now(), leaseMs);
      if (!record) return; // done, leased by another node, or gone
      const caughtUp = await this.deliverRecord(record, leaseMs);
      if (!caughtUp) return;
      const doc = await this.deps.load(applicationId);
      if (!doc || eventsAfter(doc, record.sent).events.length === 0) return;
    }
  }

  /** True when every event so far went out and more may come; false after a failure or when done. */
  private async deliverRecord(record: WebhookRecord, leaseMs: number): Promise<boolean> {
    const { settings, owner } = this.deps;
    const release = async () => {
      record.leaseOwner = null;
      record.leaseUntilMs = 0;
      await this.deps.store.save(record, owner);
    };
    const doc = await this.deps.load(record.applicationId);
    if (!doc) {
      record.done = true; // the application is gone (removed before it was taken): nothing to tell
      await release();
      return false;
    }
    const secret = settings.secrets.get(record.partner);
    for (const event of eventsAfter(doc, record.sent).events) {
      const delivery = attemptsOf(record, event);
      const nowMs = this.deps.now();
      delivery.firstAttemptAtMs ??= nowMs;
      const answer = secret
        ? await this.deps.send({ url: record.url, deliveryId: delivery.id, body: deliveryBody(doc, event), secret, nowMs })
        : { ok: false, status: 'no-secret' };
      delivery.attempts++;
      delivery.lastStatus = answer.status;
      const after = this.deps.now();
      if (!answer.ok) {
        if (after - delivery.firstAttemptAtMs >= settings.retryForMs) {
          delivery.lastStatus = `abandoned after ${delivery.attempts} attempts (last: ${answer.status})`;
          record.done = true;
        } else {
          record.retryAtMs = after + retryDelayMs(delivery.attempts, settings);
          record.nextAttemptAtMs = record.retryAtMs;
        }
        await release();
        return false;
      }
      delivery.deliveredAt = new Date(after).toISOString();
      record.retryAtMs = 0;
      record.sent = event.seq;
      if (event.type === 'completed') record.done = true;
      record.leaseUntilMs = after + leaseMs;
      if (!(await this.deps.store.save(record, owner))) return false; // the lease ran out: another node goes on
    }
    record.nextAttemptAtMs = Math.max(doc.deadlineMs + AFTER_DEADLINE_MS, this.deps.now() + AFTER_DEADLINE_MS);
    await release();
    return !record.done;
  }
}

function attemptsOf(record: WebhookRecord, event: ApplicationEvent): DeliveryAttempts {
  let delivery = record.deliveries.find((d) => d.seq === event.seq);
  if (!delivery) {
    delivery = { id: deliveryId(record.applicationId, event.seq), seq: event.seq, type: event.type, attempts: 0 };
    record.deliveries.push(delivery);
  }
  return delivery;
}

/** A new application's webhook record: looked at right away, and after its deadline in any case. */
export function newWebhookRecord(doc: Pick<ApplicationDoc, 'id' | 'deadlineMs'>, partner: string, url: string): WebhookRecord {
  return { applicationId: doc.id, partner, url, sent: 0, done: false, nextAttemptAtMs: doc.deadlineMs + AFTER_DEADLINE_MS, retryAtMs: 0, leaseOwner: null, leaseUntilMs: 0, deliveries: [] };
}
