/**
 * The REPL's `insurers` (each insurer across every node that runs it) and `application <id>` (its
 * quotes on a timeline). Figures come from every node, not the one the REPL runs on.
 */
import type { ReplOptions, ServiceBroker } from 'moleculer';
import type { InsurerOpsRow } from '../../lib/ops/insurer-view';
import { readOpsState } from './cluster-state';

type ReplCustomCommand = NonNullable<ReplOptions['customCommands']>[number];

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, col) => Math.max(title.length, ...rows.map((row) => row[col].length)));
  const line = (cells: string[]) => cells.map((cell, col) => cell.padEnd(widths[col])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const dash = (value: number | null, format: (v: number) => string = String) => (value === null ? '-' : format(value));

/** The table of /ops: one line per insurer, its circuit over every node and since when. */
export function insurersTable(rows: readonly InsurerOpsRow[]): string {
  const header = ['code', 'name', 'circuit', 'since', 'nodes', 'recent calls', 'success', 'p50 ms', 'p95 ms', 'in flight', 'per min', 'last error'];
  return table(
    header,
    rows.map((r) => [
      r.code,
      r.name,
      r.circuit,
      r.circuitSince ?? '-',
      String(r.nodes.length),
      String(r.recentCalls),
      dash(r.successRate, (v) => `${(v * 100).toFixed(1)} %`),
      dash(r.p50LatencyMs),
      dash(r.p95LatencyMs),
      String(r.inFlight),
      String(r.perMinute),
      r.lastErrors[0] ? `${r.lastErrors[0].at} ${r.lastErrors[0].message}` : '',
    ]),
  );
}

export const insurersReplCommand: ReplCustomCommand = {
  command: 'insurers',
  description: "Each insurer's circuit (open if open on any node), since when, and its figures over every node",
  async action(broker: ServiceBroker) {
    const state = await readOpsState(broker);
    console.log(insurersTable(state.insurers));
    if (state.unanswered.length > 0) console.log(`no answer in time from: ${state.unanswered.join(', ')}`);
  },
};

interface Timeline {
  id: string;
  status: string;
  createdAt: string;
  deadline: string;
  completedAt?: string;
  quotes: Array<{ insurer: { code: string }; status: string; premium?: number; reason?: string; at: string }>;
}

export function timelineTable(view: Timeline): string {
  const created = Date.parse(view.createdAt);
  const rows = [...view.quotes]
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .map((q) => [`+${((Date.parse(q.at) - created) / 1000).toFixed(2)} s`, q.insurer.code, q.status, q.premium === undefined ? '' : q.premium.toFixed(2), q.reason ?? '']);
  const head = `${view.id}: ${view.status}, created ${view.createdAt}, deadline ${view.deadline}${view.completedAt ? `, completed ${view.completedAt}` : ''}`;
  return `${head}\n${table(['when', 'insurer', 'status', 'premium', 'reason'], rows)}`;
}

export const applicationReplCommand: ReplCustomCommand = {
  command: 'application <id>',
  description: "An application's quotes and when each came (no personal data)",
  async action(broker: ServiceBroker, args: unknown) {
    const id = String((args as { id?: unknown } | undefined)?.id ?? '');
    try {
      console.log(timelineTable(await broker.call<Timeline, { id: string }>('applications.inspect', { id })));
    } catch (err) {
      console.log(`application ${id}: ${(err as Error).message}`);
    }
  },
};
