/** The REPL's `audit [--application <id>] [--actor <actor>] [--since <iso>] [--limit n]`: the audit as a table. */
import type { ReplOptions, ServiceBroker } from 'moleculer';

type ReplCustomCommand = NonNullable<ReplOptions['customCommands']>[number];
import type { AuditEntry, AuditQuery } from './types';

export function auditTable(entries: readonly AuditEntry[]): string {
  const header = ['at', 'actor', 'action', 'application', 'outcome', 'node'];
  const rows = entries.map((e) => [e.at, e.actor, e.action, e.applicationIds.length === 1 ? e.applicationIds[0] : `${e.applicationIds.length} listed`, e.outcome, e.node]);
  const widths = header.map((title, col) => Math.max(title.length, ...rows.map((row) => row[col].length)));
  const line = (cells: string[]) => cells.map((cell, col) => cell.padEnd(widths[col])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function queryOf(options: Record<string, unknown>): AuditQuery {
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);
  const limit = Number(options.limit);
  return {
    ...(text(options.application) ? { applicationId: text(options.application) } : {}),
    ...(text(options.actor) ? { actor: text(options.actor) } : {}),
    ...(text(options.since) ? { since: text(options.since) } : {}),
    ...(Number.isInteger(limit) && limit > 0 ? { limit } : {}),
  };
}

export const auditReplCommand: ReplCustomCommand = {
  command: 'audit',
  description: 'Who created, read or streamed which application (newest first)',
  options: [
    { option: '--application <id>', description: 'only entries about this application' },
    { option: '--actor <actor>', description: 'only this actor (partner:<name>, web:<address>)' },
    { option: '--since <iso>', description: 'only entries at or after this instant' },
    { option: '--limit <n>', description: 'at most n entries (default 100)' },
  ],
  // moleculer-repl hands the parsed options as an object; its type declares string[]
  async action(broker: ServiceBroker, args: unknown) {
    const entries = await broker.call<AuditEntry[], AuditQuery>('audit.query', queryOf((args ?? {}) as Record<string, unknown>));
    console.log(entries.length === 0 ? 'no entries' : auditTable(entries));
  },
};
