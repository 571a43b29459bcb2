/** The control routes of CONTRACT §6: GET /sandbox/insurers, PUT …/{code}/mode, POST /sandbox/reset. */
import { jsonError } from './http';
import type { Reply } from './dialects';
import type { SimulatedInsurer } from './insurer';
import { INSURER_MODES, isInsurerMode, type SandboxInsurerState } from './types';
import { parseJson, segment } from './dialects/decode';

export interface AdminTarget {
  insurers: ReadonlyMap<string, SimulatedInsurer>;
  list(): SandboxInsurerState[];
  reset(): void;
}

export function handleAdmin(method: string, path: string, body: string, target: AdminTarget): Reply {
  if (path === '/sandbox/insurers') {
    if (method !== 'GET') return notAllowed('GET');
    return { status: 200, body: target.list() };
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
