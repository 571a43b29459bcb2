/**
 * What /ops, `GET /ops/state` and the REPL's `insurers` show, read from every node: each insurer
 * service answers for itself (its breaker, its calls), and the rows merge those answers.
 */
import type { ServiceBroker } from 'moleculer';
import { INSURERS } from '../../lib/insurers/catalog';
import { insurerOpsRow, type InsurerNodeFigures, type InsurerOpsRow } from '../../lib/ops/insurer-view';
import { nodeOpsRows, type NodeOpsRow, type RegistryNode } from '../../lib/ops/nodes';
import type { SandboxInsurerState } from '../../sandbox/types';
import { insurerServiceName } from '../insurers/insurer.service';

export interface OpsState {
  at: string;
  insurers: InsurerOpsRow[];
  nodes: NodeOpsRow[];
  /** The sandbox's insurers and their modes; null where no node runs the sandbox. */
  sandbox: SandboxInsurerState[] | null;
  /** Nodes that run an insurer but did not answer in time: their figures are missing. */
  unanswered: string[];
}

/** A node that does not answer within this is left out of this round, not waited for. */
const ANSWER_MS = 800;

function nodesRunning(broker: ServiceBroker, service: string): string[] {
  return broker.registry
    .getServiceList({ onlyAvailable: true, skipInternal: true })
    .filter((s) => s.name === service)
    .flatMap((s) => (s.nodeID ? [s.nodeID] : []));
}

async function figuresOf(broker: ServiceBroker, code: string, unanswered: Set<string>): Promise<InsurerNodeFigures[]> {
  const service = insurerServiceName(code);
  const nodes = nodesRunning(broker, service);
  const answers = await Promise.allSettled(nodes.map((nodeID) => broker.call<InsurerNodeFigures, Record<string, never>>(`${service}.figures`, {}, { nodeID, timeout: ANSWER_MS, retries: 0 })));
  return answers.flatMap((answer, n) => {
    if (answer.status === 'fulfilled') return [answer.value];
    unanswered.add(nodes[n]);
    return [];
  });
}

async function sandboxModes(broker: ServiceBroker): Promise<SandboxInsurerState[] | null> {
  if (nodesRunning(broker, 'sandbox').length === 0) return null;
  try {
    return await broker.call<SandboxInsurerState[], Record<string, never>>('sandbox.insurers', {}, { timeout: ANSWER_MS, retries: 0 });
  } catch {
    return null;
  }
}

/** One row per catalog insurer, in the catalog's order. */
export function readInsurerRows(broker: ServiceBroker, unanswered = new Set<string>()): Promise<InsurerOpsRow[]> {
  return Promise.all(INSURERS.map(async (i) => insurerOpsRow(i.code, i.name, await figuresOf(broker, i.code, unanswered))));
}

export async function readOpsState(broker: ServiceBroker): Promise<OpsState> {
  const unanswered = new Set<string>();
  const [insurers, sandbox] = await Promise.all([readInsurerRows(broker, unanswered), sandboxModes(broker)]);
  const nodes = nodeOpsRows(broker.registry.getNodeList({ onlyAvailable: false, withServices: true }) as unknown as RegistryNode[]);
  return { at: new Date().toISOString(), insurers, nodes, sandbox, unanswered: [...unanswered].sort() };
}
