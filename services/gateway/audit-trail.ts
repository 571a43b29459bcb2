/**
 * What the gateway tells the `audit` service: one entry per access to an application (created,
 * read, listed, streamed), with its actor and outcome, batched and sent in the background.
 *
 * Not fail-closed: no answer the gateway gives carries personal data (views and pushes hold ids,
 * quotes and premiums only), so refusing requests while the audit store is down would cost
 * availability and protect nothing. A batch that cannot be sent is retried with backoff; one still
 * unsent after the retries (or pushed out of a full queue) is written to the node's log in full,
 * entries holding no personal data, so the record survives there.
 */
import crypto from 'node:crypto';
import type { ServiceBroker } from 'moleculer';
import { isPlausibleId } from '../applications/stores/types';
import { toProblem } from '../../lib/problem';
import type { AuditAction, AuditEntry, AuditOutcome } from '../audit/types';

export interface AuditTrailOptions {
  /** Entries gathered this long go in one call. */
  batchMs: number;
  retries: number;
  retryBaseMs: number;
  /** Entries waiting beyond this are logged and dropped from the queue. */
  maxQueued: number;
}

export const AUDIT_TRAIL_DEFAULTS: AuditTrailOptions = { batchMs: 50, retries: 6, retryBaseMs: 500, maxQueued: 50_000 };

export interface Access {
  actor: string;
  action: AuditAction;
  applicationId?: string;
}

export function outcomeOf(err: unknown): AuditOutcome {
  const status = toProblem(err).status;
  if (status === 401 || status === 403) return 'denied';
  if (status === 404) return 'not-found';
  if (status < 500) return 'refused';
  return 'error';
}

/** Entries per call to the audit service: far under its limit and a NATS message's default 1 MB. */
const MAX_BATCH = 500;

/**
 * An id as the client sent it can be anything (101 characters, a NUL): the audit service refuses
 * such an entry, and with it its whole batch. What the client asked for is kept as a digest.
 */
export function recordableId(id: string): string {
  if (isPlausibleId(id)) return id;
  return `invalid:${crypto.createHash('sha256').update(String(id)).digest('hex').slice(0, 32)}`;
}

export class AuditTrail {
  private readonly options: AuditTrailOptions;
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly broker: ServiceBroker,
    options: Partial<AuditTrailOptions> = {},
  ) {
    this.options = { ...AUDIT_TRAIL_DEFAULTS, ...options };
  }

  record(access: Access, outcome: AuditOutcome, applicationIds: readonly string[] = access.applicationId === undefined ? [] : [access.applicationId]): void {
    const entry = { at: new Date().toISOString(), actor: access.actor, action: access.action, applicationIds: applicationIds.map(recordableId), outcome, node: this.broker.nodeID };
    this.queue.push(entry);
    if (this.queue.length > this.options.maxQueued) this.lost(this.queue.splice(0, this.queue.length - this.options.maxQueued), 'the audit queue is full');
    this.timer ??= setTimeout(() => void this.flush(), this.options.batchMs);
  }

  /** Runs `call` and records how it ended; `idsOf` names the applications an answer showed (a list). */
  async around<T>(access: Access, call: () => Promise<T>, idsOf?: (answer: T) => string[]): Promise<T> {
    let answer: T;
    try {
      answer = await call();
    } catch (err) {
      this.record(access, outcomeOf(err));
      throw err;
    }
    this.record(access, 'ok', idsOf ? idsOf(answer) : undefined);
    return answer;
  }

  /** Sends what is queued (and waits for a send under way). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending) await this.sending;
    if (this.queue.length === 0) return;
    const batches: AuditEntry[][] = [];
    for (let i = 0; i < this.queue.length; i += MAX_BATCH) batches.push(this.queue.slice(i, i + MAX_BATCH));
    this.queue = [];
    this.sending = (async () => {
      for (const batch of batches) await this.send(batch);
    })().finally(() => (this.sending = undefined));
    await this.sending;
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private async send(batch: AuditEntry[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.broker.call('audit.record', { entries: batch });
        return;
      } catch (err) {
        if (attempt >= this.options.retries || this.broker.stopping) return this.lost(batch, (err as Error).message);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryBaseMs * 2 ** attempt).unref());
      }
    }
  }

  private lost(entries: AuditEntry[], reason: string): void {
    this.broker.logger.error(`audit: ${entries.length} entries not recorded (${reason}): ${JSON.stringify(entries)}`);
  }
}
