/**
 * The access audit (152-FZ): who created, read, listed or streamed which application, when, and
 * what came of it. Kept apart from the applications' data, in a store of its own. An entry never
 * holds personal data: actors are `partner:<name>` or `web:<client address>`, and applications
 * appear by id only.
 */
export const AUDIT_ACTIONS = ['create', 'read', 'list', 'events', 'subscribe', 'deliveries'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['ok', 'denied', 'not-found', 'refused', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditEntry {
  at: string; // ISO instant
  actor: string;
  action: AuditAction;
  /** The application asked for; for a list, the ids it answered. */
  applicationIds: string[];
  outcome: AuditOutcome;
  /** The gateway node that served it. */
  node: string;
}

export interface AuditQuery {
  applicationId?: string;
  actor?: string;
  since?: string; // ISO instant, inclusive
  limit?: number;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;

export interface AuditStore {
  connect(): Promise<void>;
  close(): Promise<void>;
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first, at most `limit`. */
  query(query: AuditQuery): Promise<AuditEntry[]>;
}

export function matches(entry: AuditEntry, query: AuditQuery): boolean {
  if (query.applicationId !== undefined && !entry.applicationIds.includes(query.applicationId)) return false;
  if (query.actor !== undefined && entry.actor !== query.actor) return false;
  if (query.since !== undefined && entry.at < query.since) return false;
  return true;
}
