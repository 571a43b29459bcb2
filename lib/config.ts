/**
 * The one place environment variables are read (CONTRACT §5). Everything else receives an
 * AppConfig, so tests build their own with `loadConfig({ ...overrides })` instead of mutating env.
 */
import os from 'node:os';
import path from 'node:path';
import { INSURERS, findInsurer } from './insurers/catalog';
import { parseTrustedProxies, type TrustedProxies } from './client-address';
import { MalformedKeyError, parseDataKey, parseOldKeys } from './personal-data/keyring';
import type { DataKeySettings } from './personal-data/key-file';

export const SERVICE_PARTS = ['gateway', 'applications', 'insurers', 'offers-stream', 'sandbox'] as const;
export type ServicePart = (typeof SERVICE_PARTS)[number];

export interface RetrySettings {
  retries: number;
  delayMs: number;
  maxDelayMs: number;
  factor: number;
}

export interface CircuitBreakerSettings {
  threshold: number; // failure rate that opens the circuit
  minRequestCount: number;
  windowTimeSec: number;
  halfOpenTimeMs: number;
}

export interface InsurerCallSettings {
  callTimeoutMs: number; // one HTTP request to an insurer, enforced by an AbortSignal
  retry: RetrySettings; // transient faults only (5xx, network, call timeout)
  circuitBreaker: CircuitBreakerSettings;
  bulkheadConcurrency: number; // in-flight HTTP calls per insurer per node
  bulkheadQueueSize: number;
  pollScheduleMs: number[]; // used when the insurer gives no hint; the last step repeats
  throttledRetries: number; // how many times a 429/503 step is retried after its Retry-After
  maxRetryAfterMs: number; // an insurer's Retry-After beyond this is capped
  polling: PollingSettings;
}

/** Adaptive polling (lib/insurers/poll-plan.ts); off, the loop follows the insurer's hints and pollScheduleMs. */
export interface PollingSettings {
  adaptive: boolean;
  /** Inside an insurer's likely readiness window, polls at most this far apart. */
  lagBudgetMs: number;
}

export interface ClusterSettings {
  /** JetStream hands a message to another node when its holder has not signalled for this long. */
  ackWaitMs: number;
  /** A holder signals (message.working()) this often; a few beats fit in one ack wait. */
  heartbeatMs: number;
  /** How long a publish to a channel is retried through a broker outage before the caller is told. */
  publishRetryMs: number;
  /** Redeliveries before JetStream gives a message up; high, since a handed-back quote is redelivered too. */
  maxDeliveries: number;
  /** A channel's stream drops messages older than this: long past any deadline, they only take disk. */
  streamMaxAgeMs: number;
}

/** Personal data at rest (152-FZ): the keys that seal it, and how long it is kept after completion. */
export interface PersonalDataSettings {
  keys: DataKeySettings;
  /** Days after completion before an application's personal fields are erased; 0: at completion. */
  retentionDays: number;
  /** How often the retention job runs (also once at start). */
  retentionIntervalMs: number;
  /** Applications erased per store call, so one run never holds a long write. */
  retentionBatch: number;
}

export interface AppConfig {
  env: string;
  production: boolean;
  port: number;
  host: string;
  services: ServicePart[];
  nodeId: string;
  transporter?: string;
  sandboxPort: number;
  sandboxLatencyScale: number;
  sandboxTransientErrors: boolean; // the sandbox's rare 503s in normal mode
  sandboxSeed?: number; // seeds the sandbox's randomness (tests), otherwise Math.random
  durableChannels: boolean; // channels on NATS JetStream (a cluster) rather than in memory
  insurersUrl: string;
  databaseUrl?: string; // PostgreSQL, shared by every applications node
  mongoUri?: string;
  dataDir: string;
  storeEngine: StoreEngine; // decided here once: DATABASE_URL, then MONGO_URI, then the embedded files
  redisUrl?: string;
  trustedProxies: TrustedProxies; // whose X-Forwarded-For the per-address limit believes
  quoteDeadlineMs: number;
  rateLimitPerMinute: number;
  partnerKeys: Map<string, string>; // api key -> partner name
  bodyLimit: string;
  deadlineSweepMs: number;
  disabledInsurers: ReadonlySet<string>; // answered `unavailable` without being asked
  idempotencyTtlMs: number;
  webhooks: WebhookSettings;
  insurerCalls: InsurerCallSettings;
  cluster: ClusterSettings;
  personalData: PersonalDataSettings;
  logLevel: string;
  metricsPort?: number; // Prometheus /metrics (CONTRACT §8); off unless set
  ops: OpsSettings;
}

/**
 * Who may open /ops (CONTRACT §8): `open` on embedded defaults, `key` with OPS_KEY (a form sets a
 * signed session cookie), `off` in production without OPS_KEY (403).
 */
export type OpsSettings =
  | { access: 'open' | 'off' }
  | { access: 'key'; key: string; sessionMs: number };

/** Webhook deliveries (CONTRACT §2; services/applications/webhooks). */
export interface WebhookSettings {
  secrets: Map<string, string>; // partner -> signing secret
  /** Only https, and never a loopback, private or link-local address (NODE_ENV=production). */
  publicHttpsOnly: boolean;
  timeoutMs: number; // one delivery attempt
  firstRetryMs: number; // doubles each attempt up to maxRetryMs
  maxRetryMs: number;
  retryForMs: number; // a delivery is given up this long after its first attempt
  perPartnerConcurrency: number; // applications delivered at once per partner per node
  scanMs: number; // how often the store is asked for deliveries due
}

export type StoreEngine = 'embedded' | 'postgres' | 'mongo';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function num(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function parsePartnerKeys(raw: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = pair.indexOf(':');
    const partner = pair.slice(0, at).trim();
    const key = pair.slice(at + 1).trim();
    if (at <= 0 || !key) throw new ConfigError(`PARTNER_KEYS entries are partner:key, got "${pair}"`);
    keys.set(key, partner);
  }
  return keys;
}

export function parseWebhookSecrets(raw: string): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = pair.indexOf(':');
    const secret = pair.slice(at + 1).trim();
    if (at <= 0 || secret.length < 16) throw new ConfigError(`PARTNER_WEBHOOK_SECRETS entries are partner:secret with a secret of 16 characters or more, got "${pair.slice(0, Math.max(at, 0))}:…"`);
    secrets.set(pair.slice(0, at).trim(), secret);
  }
  return secrets;
}

function webhookSettings(env: Env, production: boolean): WebhookSettings {
  if (production && !env.PARTNER_WEBHOOK_SECRETS) {
    throw new ConfigError('PARTNER_WEBHOOK_SECRETS is required with NODE_ENV=production: every partner may send X-Callback-Url, and deliveries are signed with its secret');
  }
  return {
    secrets: parseWebhookSecrets(env.PARTNER_WEBHOOK_SECRETS ?? 'demo:demo-webhook-secret'),
    publicHttpsOnly: production,
    timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 1),
    firstRetryMs: int(env, 'WEBHOOK_FIRST_RETRY_MS', 1_000, 1),
    maxRetryMs: 3_600_000,
    retryForMs: int(env, 'WEBHOOK_RETRY_FOR_MS', 24 * 3_600_000, 1),
    perPartnerConcurrency: int(env, 'WEBHOOK_PARTNER_CONCURRENCY', 8, 1),
    scanMs: int(env, 'WEBHOOK_SCAN_MS', 1_000, 10),
  };
}

function parseServices(raw: string | undefined): ServicePart[] {
  if (!raw || !raw.trim()) return [...SERVICE_PARTS];
  const parts = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const part of parts) {
    if (!(SERVICE_PARTS as readonly string[]).includes(part)) {
      throw new ConfigError(`SERVICES: unknown part "${part}"; known: ${SERVICE_PARTS.join(', ')}`);
    }
  }
  return parts as ServicePart[];
}

function parseDisabledInsurers(raw: string | undefined): ReadonlySet<string> {
  const codes = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const code of codes) {
    if (!findInsurer(code)) throw new ConfigError(`DISABLED_INSURERS: unknown insurer "${code}"; known: ${INSURERS.map((i) => i.code).join(', ')}`);
  }
  return new Set(codes);
}

function trustedProxies(raw: string | undefined): TrustedProxies {
  try {
    return parseTrustedProxies(raw);
  } catch (err) {
    throw new ConfigError(`TRUSTED_PROXIES: ${(err as Error).message}`);
  }
}

function databaseUrl(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new ConfigError(`DATABASE_URL must be a postgres:// URL, got "${raw.replace(/:[^:@/]*@/, ':***@')}"`);
  return raw;
}

/** A quote's messages must outlive it, or a dead node's work could not be handed on: deadline + 1 min at least. */
function clusterSettings(env: Env, quoteDeadlineMs: number): ClusterSettings {
  const ackWaitMs = int(env, 'CLUSTER_ACK_WAIT_MS', 4_000, 500);
  return {
    ackWaitMs,
    heartbeatMs: Math.max(100, Math.floor(ackWaitMs / 4)),
    publishRetryMs: int(env, 'CLUSTER_PUBLISH_RETRY_MS', 5_000, 0),
    maxDeliveries: 1_000,
    streamMaxAgeMs: int(env, 'CLUSTER_STREAM_MAX_AGE_MS', Math.max(3_600_000, quoteDeadlineMs + 60_000), quoteDeadlineMs + 60_000),
  };
}

function dataKeys(env: Env, production: boolean): DataKeySettings {
  if (production && !env.DATA_KEY) throw new ConfigError('DATA_KEY is required with NODE_ENV=production (32 bytes, base64: `openssl rand -base64 32`)');
  try {
    return { current: env.DATA_KEY ? parseDataKey(env.DATA_KEY) : undefined, old: parseOldKeys(env.DATA_KEYS_OLD) };
  } catch (err) {
    if (err instanceof MalformedKeyError) throw new ConfigError(err.message);
    throw err;
  }
}

function personalDataSettings(env: Env, production: boolean): PersonalDataSettings {
  return {
    keys: dataKeys(env, production),
    retentionDays: int(env, 'RETENTION_DAYS', 30, 0),
    retentionIntervalMs: int(env, 'RETENTION_INTERVAL_MS', 3_600_000, 1_000),
    retentionBatch: 500,
  };
}

export function loadConfig(env: Env = process.env): AppConfig {
  const production = env.NODE_ENV === 'production';
  if (production && !env.PARTNER_KEYS) throw new ConfigError('PARTNER_KEYS is required with NODE_ENV=production');
  const sandboxPort = int(env, 'SANDBOX_PORT', 4000);
  const deadline = int(env, 'QUOTE_DEADLINE_MS', 60_000, 1);
  return {
    env: env.NODE_ENV ?? 'development',
    production,
    port: int(env, 'PORT', 3000),
    host: env.HOST || '127.0.0.1',
    services: parseServices(env.SERVICES),
    nodeId: env.NODE_ID || `${os.hostname()}-${process.pid}`,
    transporter: env.TRANSPORTER || undefined,
    sandboxPort,
    sandboxLatencyScale: num(env, 'SANDBOX_LATENCY_SCALE', 1),
    sandboxTransientErrors: env.SANDBOX_TRANSIENT_ERRORS !== '0',
    sandboxSeed: env.SANDBOX_SEED ? int(env, 'SANDBOX_SEED', 0) : undefined,
    durableChannels: Boolean(env.TRANSPORTER?.startsWith('nats://')),
    insurersUrl: (env.INSURERS_URL || `http://127.0.0.1:${sandboxPort}`).replace(/\/+$/, ''),
    databaseUrl: databaseUrl(env.DATABASE_URL),
    mongoUri: env.MONGO_URI || undefined,
    storeEngine: env.DATABASE_URL ? 'postgres' : env.MONGO_URI ? 'mongo' : 'embedded',
    dataDir: path.resolve(env.DATA_DIR || './data'),
    redisUrl: env.REDIS_URL || undefined,
    trustedProxies: trustedProxies(env.TRUSTED_PROXIES),
    quoteDeadlineMs: deadline,
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 600, 1),
    partnerKeys: parsePartnerKeys(env.PARTNER_KEYS ?? 'demo:demo-key'),
    bodyLimit: '1mb',
    deadlineSweepMs: int(env, 'DEADLINE_SWEEP_MS', 200, 10),
    disabledInsurers: parseDisabledInsurers(env.DISABLED_INSURERS),
    idempotencyTtlMs: 24 * 3600_000,
    webhooks: webhookSettings(env, production),
    insurerCalls: {
      callTimeoutMs: int(env, 'INSURER_CALL_TIMEOUT_MS', 5_000, 1),
      retry: { retries: 2, delayMs: 100, maxDelayMs: 1_000, factor: 2 },
      circuitBreaker: {
        // share of calls failing after their retries (attempts that will be retried do not count)
        threshold: num(env, 'CIRCUIT_THRESHOLD', 0.5),
        minRequestCount: int(env, 'CIRCUIT_MIN_REQUESTS', 10, 1),
        windowTimeSec: int(env, 'CIRCUIT_WINDOW_SEC', 60, 1),
        halfOpenTimeMs: int(env, 'CIRCUIT_HALF_OPEN_MS', 10_000, 1),
      },
      bulkheadConcurrency: int(env, 'INSURER_CONCURRENCY', 200, 1),
      bulkheadQueueSize: 10_000,
      pollScheduleMs: [500, 1_000, 2_000, 3_000, 5_000],
      throttledRetries: 3,
      maxRetryAfterMs: 10_000,
      polling: {
        adaptive: !['0', 'false'].includes(env.ADAPTIVE_POLLING ?? ''),
        lagBudgetMs: int(env, 'POLL_LAG_BUDGET_MS', 250, 1),
      },
    },
    cluster: clusterSettings(env, deadline),
    personalData: personalDataSettings(env, production),
    logLevel: env.LOG_LEVEL || 'info',
    metricsPort: env.METRICS_PORT ? int(env, 'METRICS_PORT', 0) : undefined,
    ops: opsSettings(env, production),
  };
}

function opsSettings(env: Env, production: boolean): OpsSettings {
  const key = env.OPS_KEY;
  if (!key) return { access: production ? 'off' : 'open' };
  if (production && key.length < 16) throw new ConfigError('OPS_KEY must be at least 16 characters with NODE_ENV=production');
  return { access: 'key', key, sessionMs: int(env, 'OPS_SESSION_HOURS', 12, 1) * 3_600_000 };
}
