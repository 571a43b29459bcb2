/** The cluster's nodes as the operators see them: which parts (CONTRACT §5 `SERVICES`) each runs. */

export interface NodeOpsRow {
  nodeID: string;
  available: boolean;
  local: boolean;
  hostname: string | null;
  /** gateway, applications, insurers, offers-stream, sandbox, audit: in that order, each once. */
  parts: string[];
  /** How many insurer services the node runs. */
  insurers: number;
}

/** What Moleculer's registry tells of a node (`registry.getNodeList({ withServices: true })`). */
export interface RegistryNode {
  id: string;
  available: boolean;
  local: boolean;
  hostname?: string;
  services?: Array<{ name: string }>;
}

const PART_ORDER = ['gateway', 'applications', 'insurers', 'offers-stream', 'sandbox', 'audit'];

function partOf(serviceName: string): string | undefined {
  if (serviceName.startsWith('$')) return undefined; // Moleculer's own
  if (serviceName.startsWith('insurers.')) return 'insurers';
  return serviceName;
}

export function nodeOpsRow(node: RegistryNode): NodeOpsRow {
  const names = (node.services ?? []).map((s) => s.name);
  const parts = [...new Set(names.map(partOf).filter((p): p is string => p !== undefined))];
  const rank = (part: string) => (PART_ORDER.includes(part) ? PART_ORDER.indexOf(part) : PART_ORDER.length);
  parts.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return {
    nodeID: node.id,
    available: node.available,
    local: node.local,
    hostname: node.hostname ?? null,
    parts,
    insurers: names.filter((n) => n.startsWith('insurers.')).length,
  };
}

export function nodeOpsRows(nodes: readonly RegistryNode[]): NodeOpsRow[] {
  return nodes.map(nodeOpsRow).sort((a, b) => Number(b.available) - Number(a.available) || a.nodeID.localeCompare(b.nodeID));
}
