/**
 * SANDBOX_SEED: the same seed replays the same delays and faults, in createSandbox, in the
 * sandbox service of a node, and in the standalone process (dist/sandbox/main.js, so this file
 * needs `npm run build` first, as `npm test` does).
 */
import { ServiceBroker } from 'moleculer';
import { todayInMoscow } from '../../lib/dates';
import { quoteReference } from '../../lib/insurers/adapter';
import { loadConfig } from '../../lib/config';
import { adapterFor } from '../../lib/insurers/dialects';
import { createSandboxService } from '../../services/sandbox.service';
import { createSandbox, type Sandbox } from '../../sandbox';
import { freePorts, startNode, waitForHttp, type NodeProcess } from '../support/processes';
import { sampleApplication } from '../unit/fixtures/application';

const LATENCY_SCALE = 0.1;
const SEED = 7;
const CODE = 'sever-shield'; // standard dialect

interface Fingerprint {
  /** readyAt − createdAt of successive creates, as the insurer recorded them: its drawn delays. */
  readyInMs: number[];
  /** The statuses of successive polls in flaky mode: its drawn faults (500) or not (404). */
  flakyStatuses: number[];
}

let runs = 0;

async function json(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** Sequential calls only: within one insurer the drawn values go to calls in arrival order. */
async function fingerprint(base: string, code = CODE): Promise<Fingerprint> {
  const adapter = adapterFor('standard');
  const readyInMs = [];
  for (let i = 0; i < 6; i++) {
    const applicationId = `seed-${process.pid}-${++runs}`;
    const req = adapter.createRequest(sampleApplication(todayInMoscow()), quoteReference(applicationId, code));
    expect((await json(base, req.method, `/insurers/${code}${req.path}`, req.body)).status).toBe(202);
    const [quote] = (await json(base, 'GET', `/sandbox/quotes?applicationId=${applicationId}`)).body as { createdAt: string; readyAt: string }[];
    readyInMs.push(Date.parse(quote.readyAt) - Date.parse(quote.createdAt));
  }

  expect((await json(base, 'PUT', `/sandbox/insurers/${code}/mode`, { mode: 'flaky' })).status).toBe(200);
  const flakyStatuses = [];
  for (let i = 0; i < 32; i++) flakyStatuses.push((await json(base, 'GET', `/insurers/${code}/applications/no-such-id`)).status);
  expect((await json(base, 'PUT', `/sandbox/insurers/${code}/mode`, { mode: 'normal' })).status).toBe(200);
  return { readyInMs, flakyStatuses };
}

async function listening(sandbox: Sandbox): Promise<string> {
  return `http://127.0.0.1:${await sandbox.listen(0)}`;
}

describe('createSandbox({ seed })', () => {
  const sandboxes: Sandbox[] = [];
  const sandboxWith = (seed: number | undefined) => {
    const s = createSandbox({ latencyScale: LATENCY_SCALE, transientErrors: false, seed });
    sandboxes.push(s);
    return listening(s);
  };
  afterAll(() => Promise.all(sandboxes.map((s) => s.close())));

  it('the same seed draws the same delays and faults; another seed others', async () => {
    const first = await fingerprint(await sandboxWith(SEED));
    const again = await fingerprint(await sandboxWith(SEED));
    const other = await fingerprint(await sandboxWith(SEED + 1));
    expect(again).toEqual(first);
    expect(other.readyInMs).not.toEqual(first.readyInMs);
    expect(other.flakyStatuses).not.toEqual(first.flakyStatuses);
    // sever-shield is ready 2–6 s after a create, here a tenth of that; flaky fails about half
    for (const ms of first.readyInMs) {
      expect(ms).toBeGreaterThanOrEqual(200);
      expect(ms).toBeLessThanOrEqual(600);
    }
    expect(new Set(first.flakyStatuses)).toEqual(new Set([404, 500]));
  });

  it('calls to another insurer do not shift an insurer\'s sequence', async () => {
    const quiet = await fingerprint(await sandboxWith(SEED));
    const base = await sandboxWith(SEED);
    const [busy] = await Promise.all([fingerprint(base), fingerprint(base, 'dozor-avto')]);
    expect(busy).toEqual(quiet);
  });

  it('without a seed, runs differ', async () => {
    const a = await fingerprint(await sandboxWith(undefined));
    const b = await fingerprint(await sandboxWith(undefined));
    expect(b).not.toEqual(a);
  });

  it('refuses a seed that is not a whole number', () => {
    for (const seed of [-1, 1.5, NaN]) expect(() => createSandbox({ seed })).toThrow(RangeError);
  });
});

describe('SANDBOX_SEED', () => {
  let reference: Fingerprint;
  beforeAll(async () => {
    const sandbox = createSandbox({ latencyScale: LATENCY_SCALE, transientErrors: false, seed: SEED });
    try {
      reference = await fingerprint(await listening(sandbox));
    } finally {
      await sandbox.close();
    }
  });

  const env = (port: number) => ({
    SANDBOX_PORT: String(port),
    SANDBOX_LATENCY_SCALE: String(LATENCY_SCALE),
    SANDBOX_TRANSIENT_ERRORS: '0',
    SANDBOX_SEED: String(SEED),
  });

  it('seeds the sandbox service of a node', async () => {
    const [port] = await freePorts(1);
    const broker = new ServiceBroker({ nodeID: `sandbox-seed-${process.pid}`, logger: false });
    broker.createService(createSandboxService(loadConfig(env(port))));
    await broker.start();
    try {
      expect(await fingerprint(`http://127.0.0.1:${port}`)).toEqual(reference);
    } finally {
      await broker.stop();
    }
  });

  it('seeds the standalone sandbox process', async () => {
    const [port] = await freePorts(1);
    const proc: NodeProcess = startNode('sandbox/main.js', env(port));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/sandbox/insurers`);
      expect(await fingerprint(`http://127.0.0.1:${port}`)).toEqual(reference);
      expect(proc.output()).toContain(`seed ${SEED}`);
    } finally {
      await proc.kill('SIGTERM');
    }
  });
});
