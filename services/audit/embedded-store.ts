/**
 * The audit on embedded defaults: an append-only JSON-lines file of its own under DATA_DIR. Entries
 * are only ever appended (O_APPEND), one line each; a query reads the file through. Operators ask
 * rarely, and a file nobody rewrites is the property an audit log wants.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { DEFAULT_QUERY_LIMIT, matches, type AuditEntry, type AuditQuery, type AuditStore } from './types';

export const AUDIT_FILE = 'audit.jsonl';

export class EmbeddedAuditStore implements AuditStore {
  private file: fsp.FileHandle | undefined;
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = path.join(dataDir, AUDIT_FILE);
  }

  async connect(): Promise<void> {
    await fsp.mkdir(path.dirname(this.path), { recursive: true });
    this.file = await fsp.open(this.path, 'a', 0o600);
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }

  async append(entries: readonly AuditEntry[]): Promise<void> {
    if (!this.file) throw new Error(`the audit file ${this.path} is not open`);
    if (entries.length === 0) return;
    await this.file.appendFile(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    await this.file.datasync();
  }

  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const limit = query.limit ?? DEFAULT_QUERY_LIMIT;
    const found: AuditEntry[] = [];
    const lines = readline.createInterface({ input: fs.createReadStream(this.path, 'utf8'), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let entry: AuditEntry;
      try {
        entry = JSON.parse(line) as AuditEntry;
      } catch {
        continue; // a line torn by a crash
      }
      if (!matches(entry, query)) continue;
      found.push(entry);
      if (found.length > limit) found.shift();
    }
    return found.reverse();
  }
}
