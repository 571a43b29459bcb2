/**
 * The control routes of CONTRACT §6: GET /sandbox/insurers, GET /sandbox/quotes?applicationId=…,
 * PUT …/{code}/mode, POST /sandbox/reset.
 */
import { jsonError } from './http';
import type { Reply, WireRequest } from './dialects';
import type { SimulatedInsurer } from './insurer';
import { INSURER_MODES, isInsurerMode, type SandboxInsurerState, type SandboxQuoteRecord } from './types';
import { parseJson, segment } from './dialects/decode';

export interface AdminTarget {
  insurers: ReadonlyMap<string, SimulatedInsurer>;
  list(): SandboxInsurerState[];
  quotes(applicationId: string): SandboxQuoteRecord[];
  reset(): void;
}

export function handleAdmin({ method, path, query, body }: Omit<WireRequest, 'headers'>, target: AdminTarget): Reply {
  if (path === '/sandbox/insurers') {
    if (method !== 'GET') return notAllowed('GET');
    return { status: 200, body: target.list() };
  }
  if (path === '/sandbox/quotes') {
    if (method !== 'GET') return notAllowed('GET');
    const applicationId = query.get('applicationId');
    if (!applicationId?.trim()) return jsonError(400, 'expected ?applicationId=<one of our application ids>');
    return { status: 200, body: target.quotes(applicationId) };
  }
  if (path === '/sandbox/reset') {
    if (method !== 'POST') return notAllowed('POST');
    target.reset();
    return { status: 200, body: target.list() };
  }
  const m = /^\/sandbox\/insurers\/([^/]+)\/mode$/.exec(path);
  if (m) {
    if (method !== 'PUT') return notAllowed('PUT');
    const code = segment(m[1]);
    const insurer = code === undefined ? undefined : target.insurers.get(code);
    if (!insurer) return jsonError(404, `no insurer ${code ?? m[1]}`);
    const json = parseJson(body);
    const mode = json.ok && typeof json.value === 'object' && json.value !== null ? (json.value as { mode?: unknown }).mode : undefined;
    if (!isInsurerMode(mode)) return jsonError(400, `expected { "mode": ${INSURER_MODES.map((x) => `"${x}"`).join(' | ')} }`);
    insurer.mode = mode;
    return { status: 200, body: insurer.state() };
  }
  return jsonError(404, `no route ${method} ${path}`);
}

function notAllowed(allow: string): Reply {
  return jsonError(405, 'method not allowed', { Allow: allow });
}
