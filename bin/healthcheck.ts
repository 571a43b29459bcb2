/**
 * The container health check (the Dockerfile's HEALTHCHECK): exits 0 when this node serves what
 * SERVICES says it runs, 1 otherwise, printing one line per check.
 *
 * - `gateway`: GET /api/v1/health answers 200 (it answers 503 until `applications` and
 *   `offers-stream` are reachable in the cluster);
 * - `sandbox`: GET /sandbox/insurers answers 200;
 * - with a NATS transporter, every part: the node (NODE_ID) answers a Moleculer DISCOVER aimed at it
 *   with its INFO, and that INFO lists every service of its parts. A node sends INFO only once its
 *   broker has started all its services, and only while its event loop and its NATS connection
 *   work, so this covers the parts that have no HTTP port. The check speaks the two packets itself
 *   rather than starting a broker: a broker would join the cluster, and every node would log a node
 *   coming and going at each interval.
 */
import os from 'node:os';
import { ServiceBroker } from 'moleculer';
import { connect } from 'nats';
import { loadConfig, ConfigError, type AppConfig, type ServicePart } from '../lib/config';
import { INSURERS } from '../lib/insurers/catalog';
import { brokerOptions } from '../moleculer.config';
import { insurerServiceName } from '../services/insurers/insurer.service';

const CHECK_TIMEOUT_MS = 5_000; // well inside the HEALTHCHECK's --timeout
const HTTP_PARTS: ReadonlySet<ServicePart> = new Set(['gateway', 'sandbox']);

interface CheckResult {
  ok: boolean;
  what: string;
}

function serviceNamesOf(part: ServicePart): string[] {
  return part === 'insurers' ? INSURERS.map((insurer) => insurerServiceName(insurer.code)) : [part];
}

/** The address a client on this machine reaches a server bound to `host` at. */
function localAddress(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

async function answers200(url: string): Promise<CheckResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await response.body?.cancel();
    return { ok: response.status === 200, what: `GET ${url}: ${response.status}` };
  } catch (err) {
    return { ok: false, what: `GET ${url}: ${reasonOf(err)}` };
  }
}

/** fetch hides the socket's error (ECONNREFUSED…) in `cause`. */
function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
  return err.message + cause;
}

/** The names of the services the node has started, from its answer to a DISCOVER sent to it alone. */
async function startedServicesOf(config: AppConfig, transporter: string): Promise<string[]> {
  const prefix = `MOL-${brokerOptions(config).namespace}`;
  const sender = `healthcheck-${os.hostname()}-${process.pid}`;
  const connection = await connect({ servers: transporter, timeout: CHECK_TIMEOUT_MS, reconnect: false, name: sender });
  try {
    const answers = connection.subscribe(`${prefix}.INFO.${sender}`, { max: 1, timeout: CHECK_TIMEOUT_MS });
    // Moleculer's default JSON serializer (the broker options set no other): a packet is its payload
    connection.publish(`${prefix}.DISCOVER.${config.nodeId}`, JSON.stringify({ ver: ServiceBroker.PROTOCOL_VERSION, sender }));
    for await (const message of answers) {
      const info = message.json<{ services?: { name: string }[] }>();
      return (info.services ?? []).map((service) => service.name);
    }
    return [];
  } finally {
    await connection.close();
  }
}

async function servesItsParts(config: AppConfig, transporter: string): Promise<CheckResult> {
  const what = `node ${config.nodeId} over ${transporter}`;
  try {
    const started = new Set(await startedServicesOf(config, transporter));
    const missing = config.services.flatMap(serviceNamesOf).filter((name) => !started.has(name));
    if (missing.length === 0) return { ok: true, what: `${what}: serves ${config.services.join(', ')}` };
    return { ok: false, what: `${what}: not started: ${missing.join(', ')}` };
  } catch (err) {
    // a node that never answers is indistinguishable from a NODE_ID that is not this node's
    return { ok: false, what: `${what}: no answer (${reasonOf(err)}); is NODE_ID this node's id?` };
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const host = localAddress(config.host);
  const checks: Promise<CheckResult>[] = [];
  if (config.services.includes('gateway')) checks.push(answers200(`http://${host}:${config.port}/api/v1/health`));
  if (config.services.includes('sandbox')) checks.push(answers200(`http://${host}:${config.sandboxPort}/sandbox/insurers`));
  if (config.transporter?.startsWith('nats://')) {
    checks.push(servesItsParts(config, config.transporter));
  } else {
    // one process without a broker: nothing outside it can see the parts that have no HTTP port
    const unseen = config.services.filter((part) => !HTTP_PARTS.has(part));
    if (unseen.length > 0) checks.push(Promise.resolve({ ok: true, what: `no NATS transporter: ${unseen.join(', ')} not observable, not checked` }));
  }
  const results = await Promise.all(checks);
  for (const result of results) console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.what}`);
  process.exit(results.every((result) => result.ok) ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
  process.exit(1);
});
