/**
 * Webhook records on embedded defaults: in memory, each change appended to a journal of their own
 * under DATA_DIR (the applications' journal format, stores/journal.ts) and replayed at start, so a
 * restart resumes every delivery where it was. One owner, as with the embedded applications store;
 * leases only keep this node's own runs apart and are not written.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Journal, replay } from '../stores/journal';
import type { WebhookRecord, WebhookStore } from './types';

export const WEBHOOK_JOURNAL_FILE = 'webhooks.journal';
const COMPACTION_SLACK_BYTES = 16 * 1024 * 1024;

type Line = { op: 'put'; record: WebhookRecord } | { op: 'remove'; id: string };

const copy = (record: WebhookRecord): WebhookRecord => structuredClone(record);
const putLine = (record: WebhookRecord) => JSON.stringify({ op: 'put', record: { ...record, leaseOwner: null, leaseUntilMs: 0 } });

export class EmbeddedWebhookStore implements WebhookStore {
  private readonly records = new Map<string, WebhookRecord>();
  private journal: Journal | undefined;

  constructor(private readonly dataDir: string) {}

  async connect(): Promise<void> {
    await fs.mkdir(this.dataDir, { recursive: true });
    const file = path.join(this.dataDir, WEBHOOK_JOURNAL_FILE);
    await replay(file, (parsed) => this.apply(parsed as Line), (message) => process.emitWarning(message, 'EmbeddedStoreWarning'));
    this.journal = new Journal(file, () => [...this.records.values()].map(putLine), { slackBytes: COMPACTION_SLACK_BYTES });
    await this.journal.open();
  }

  async close(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
  }

  async create(record: WebhookRecord): Promise<boolean> {
    if (this.records.has(record.applicationId)) return false;
    this.records.set(record.applicationId, copy(record));
    await this.writer().append(putLine(record));
    return true;
  }

  async remove(applicationId: string): Promise<void> {
    if (!this.records.delete(applicationId)) return;
    await this.writer().append(JSON.stringify({ op: 'remove', id: applicationId }));
  }

  async find(applicationId: string): Promise<WebhookRecord | undefined> {
    const record = this.records.get(applicationId);
    return record && copy(record);
  }

  async claim(applicationId: string, owner: string, nowMs: number, leaseMs: number): Promise<WebhookRecord | undefined> {
    const record = this.records.get(applicationId);
    if (!record || record.done || record.leaseUntilMs > nowMs || record.retryAtMs > nowMs) return undefined;
    record.leaseOwner = owner;
    record.leaseUntilMs = nowMs + leaseMs;
    return copy(record);
  }

  async save(record: WebhookRecord, owner: string): Promise<boolean> {
    const held = this.records.get(record.applicationId);
    if (!held || held.leaseOwner !== owner) return false;
    this.records.set(record.applicationId, copy(record));
    await this.writer().append(putLine(record));
    return true;
  }

  async due(nowMs: number, limit: number): Promise<string[]> {
    const due: WebhookRecord[] = [];
    for (const record of this.records.values()) if (!record.done && record.nextAttemptAtMs <= nowMs && record.leaseUntilMs <= nowMs) due.push(record);
    return due
      .sort((a, b) => a.nextAttemptAtMs - b.nextAttemptAtMs)
      .slice(0, limit)
      .map((r) => r.applicationId);
  }

  private apply(line: Line): void {
    if (line.op === 'put') this.records.set(line.record.applicationId, line.record);
    else if (line.op === 'remove') this.records.delete(line.id);
  }

  private writer(): Journal {
    if (!this.journal) throw new Error(`the webhook store in ${this.dataDir} is not connected`);
    return this.journal;
  }
}
