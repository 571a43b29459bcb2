/**
 * The operators' row for one insurer, merged from what every node that runs it reports: each node's
 * breaker is its own, so the insurer counts as open while it is open anywhere, and the latencies
 * are merged sample by sample rather than averaged percentiles.
 */
import { percentile, type CallError, type CallFiguresDetail } from '../insurers/call-figures';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** One node's figures for one insurer (the insurer service's `figures` action). */
export interface InsurerNodeFigures extends CallFiguresDetail {
  code: string;
  name: string;
  nodeID: string;
  state: CircuitState;
  /** ISO time the node's circuit became what it is. */
  since: string;
}

export interface InsurerOpsRow {
  code: string;
  name: string;
  /** `none` while no node runs the insurer. */
  circuit: CircuitState | 'none';
  /** Since when the insurer has been `circuit`: for open, the earliest opening of the nodes now open. */
  circuitSince: string | null;
  /** Each node's own circuit and share of the recent calls: which node is failing. */
  nodes: Array<{ nodeID: string; state: CircuitState; since: string; recentCalls: number; failureRate: number }>;
  /** Since each node started, summed. */
  calls: number;
  failures: number;
  recentCalls: number;
  /** 0…1 over the recent calls of every node; null before any call. */
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  inFlight: number;
  perMinute: number;
  /** Newest first, each with the node it happened on. */
  lastErrors: Array<CallError & { nodeID: string }>;
}

const LAST_ERRORS = 5;

function overallState(states: readonly CircuitState[]): CircuitState | 'none' {
  if (states.length === 0) return 'none';
  if (states.includes('open')) return 'open';
  if (states.includes('half-open')) return 'half-open';
  return 'closed';
}

function sinceOf(figures: readonly InsurerNodeFigures[], circuit: CircuitState | 'none'): string | null {
  const inState = figures.filter((f) => f.state === circuit).map((f) => f.since).sort();
  if (inState.length === 0) return null;
  // closed means closed everywhere: since the last node closed; open or half-open: since the first did
  return circuit === 'closed' ? inState[inState.length - 1] : inState[0];
}

export function insurerOpsRow(code: string, name: string, figures: readonly InsurerNodeFigures[]): InsurerOpsRow {
  const circuit = overallState(figures.map((f) => f.state));
  const latencies = figures.flatMap((f) => f.recentLatenciesMs).sort((a, b) => a - b);
  const recentCalls = figures.reduce((sum, f) => sum + f.recent.calls, 0);
  const recentFailures = figures.reduce((sum, f) => sum + f.recentFailures, 0);
  const lastErrors = figures
    .flatMap((f) => f.lastErrors.map((e) => ({ ...e, nodeID: f.nodeID })))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, LAST_ERRORS);
  return {
    code,
    name,
    circuit,
    circuitSince: sinceOf(figures, circuit),
    nodes: figures.map((f) => ({ nodeID: f.nodeID, state: f.state, since: f.since, recentCalls: f.recent.calls, failureRate: f.recent.failureRate })).sort((a, b) => a.nodeID.localeCompare(b.nodeID)),
    calls: figures.reduce((sum, f) => sum + f.calls, 0),
    failures: figures.reduce((sum, f) => sum + f.failures, 0),
    recentCalls,
    successRate: recentCalls === 0 ? null : (recentCalls - recentFailures) / recentCalls,
    p50LatencyMs: percentile(latencies, 0.5),
    p95LatencyMs: percentile(latencies, 0.95),
    inFlight: figures.reduce((sum, f) => sum + f.inFlight, 0),
    perMinute: figures.reduce((sum, f) => sum + f.perMinute, 0),
    lastErrors,
  };
}

/** GET /insurers (CONTRACT §2): the same merged view, in the partner API's shape. */
export function partnerInsurerStatus(row: InsurerOpsRow, dialect: string) {
  if (row.circuit === 'none') return { code: row.code, name: row.name, state: 'open' as const, available: false };
  return {
    code: row.code,
    name: row.name,
    state: row.circuit,
    available: true,
    dialect,
    nodes: row.nodes.map((n) => n.nodeID),
    calls: row.calls,
    failures: row.failures,
    recent: {
      calls: row.recentCalls,
      failureRate: row.successRate === null ? 0 : Math.round((1 - row.successRate) * 1000) / 1000,
      p50LatencyMs: row.p50LatencyMs,
      p95LatencyMs: row.p95LatencyMs,
    },
  };
}
