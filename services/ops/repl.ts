/**
 * The REPL's `insurers` (each insurer across every node that runs it) and `application <id>` (its
 * quotes on a timeline). Figures come from every node, not the one the REPL runs on.
 */
import type { ReplOptions, ServiceBroker } from 'moleculer';
import { INSURERS } from '../../lib/insurers/catalog';
import { insurerServiceName } from '../insurers/insurer.service';

type ReplCustomCommand = NonNullable<ReplOptions['customCommands']>[number];

interface InsurerStatus {
  code: string;
  name: string;
  state: 'closed' | 'open' | 'half-open';
  nodeID: string;
  calls: number;
  failures: number;
  recent: { calls: number; failureRate: number; p50LatencyMs: number | null; p95LatencyMs: number | null };
}

export interface InsurerRow {
  code: string;
  name: string;
  state: string;
  nodes: number;
  recentCalls: number;
  successRate: string;
  p50Ms: string;
  p95Ms: string;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, col) => Math.max(title.length, ...rows.map((row) => row[col].length)));
  const line = (cells: string[]) => cells.map((cell, col) => cell.padEnd(widths[col])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One row per insurer from every node's status: open if open anywhere, calls summed, the worst p95. */
export function insurerRow(code: string, name: string, statuses: readonly InsurerStatus[]): InsurerRow {
  const states = statuses.map((s) => s.state);
  const state = statuses.length === 0 ? 'no node' : states.includes('open') ? 'open' : states.includes('half-open') ? 'half-open' : 'closed';
  const calls = statuses.reduce((sum, s) => sum + s.recent.calls, 0);
  const failed = statuses.reduce((sum, s) => sum + s.recent.calls * s.recent.failureRate, 0);
  const latency = (pick: (s: InsurerStatus) => number | null) => {
    const values = statuses.map(pick).filter((v): v is number => v !== null);
    return values.length === 0 ? '-' : String(Math.max(...values));
  };
  return {
    code,
    name,
    state,
    nodes: statuses.length,
    recentCalls: calls,
    successRate: calls === 0 ? '-' : `${(((calls - failed) / calls) * 100).toFixed(1)} %`,
    p50Ms: latency((s) => s.recent.p50LatencyMs),
    p95Ms: latency((s) => s.recent.p95LatencyMs),
  };
}

async function statusesOf(broker: ServiceBroker, code: string): Promise<InsurerStatus[]> {
  const service = insurerServiceName(code);
  const nodes = broker.registry.getServiceList({ onlyAvailable: true, skipInternal: true }).filter((s) => s.name === service).map((s) => s.nodeID);
  const answers = await Promise.allSettled(nodes.map((nodeID) => broker.call<InsurerStatus, Record<string, never>>(`${service}.status`, {}, { nodeID })));
  return answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
}

export const insurersReplCommand: ReplCustomCommand = {
  command: 'insurers',
  description: "Each insurer's circuit and recent figures, over every node that runs it",
  async action(broker: ServiceBroker) {
    const rows = await Promise.all(INSURERS.map(async (i) => insurerRow(i.code, i.name, await statusesOf(broker, i.code))));
    const header = ['code', 'name', 'circuit', 'nodes', 'recent calls', 'success', 'p50 ms', 'p95 ms'];
    console.log(table(header, rows.map((r) => [r.code, r.name, r.state, String(r.nodes), String(r.recentCalls), r.successRate, r.p50Ms, r.p95Ms])));
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
