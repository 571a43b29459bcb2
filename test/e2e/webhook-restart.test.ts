/**
 * Webhooks across a SIGKILL (CONTRACT §2): the whole system as one real process on embedded
 * defaults, its webhook queue in DATA_DIR. A real receiver in the test fails the first attempts of
 * every delivery, and everything while it is "down"; the node is killed while deliveries are
 * failing and started again on the same DATA_DIR. Every event of every application then arrives
 * exactly once with a 2xx, in order, signed, under the id it had on its first attempt.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { freePorts, startNode, waitForHttp, type NodeProcess } from '../support/processes';
import { eventually } from '../support/wait';
import { sampleApplication } from '../unit/fixtures/application';
import { todayInMoscow } from '../../lib/dates';
import { verifySignature } from '../../lib/webhooks/signature';

jest.setTimeout(120_000);

const SECRET = 'demo-webhook-secret';
const KEY = { 'x-api-key': 'demo-key' };
const APPLICATIONS = 3;
/** The receiver answers 500 to this many first attempts of each delivery id, whatever the flag. */
const FAIL_FIRST = 2;
const FINAL = new Set(['offer', 'declined', 'failed', 'unavailable', 'timeout']);

interface Attempt {
  deliveryId: string;
  raw: string;
  body: { id: string; type: string; applicationId: string; createdAt: string; data: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  signed: boolean;
  answered: number;
  atMs: number;
  /** 1 while the first process runs, 2 after the restart. */
  life: number;
}

interface Receiver {
  url: string;
  attempts: Attempt[];
  down: boolean;
  life: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const perId = new Map<string, number>();
  const receiver: Receiver = { url: '', attempts: [], down: false, life: 1, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const deliveryId = String(req.headers['x-osago-delivery'] ?? '');
      const signed = verifySignature(SECRET, String(req.headers['x-osago-signature'] ?? ''), raw, Math.floor(Date.now() / 1000));
      let body: Attempt['body'];
      try {
        body = JSON.parse(raw) as Attempt['body'];
      } catch {
        body = { id: '<not JSON>', type: '', applicationId: '', createdAt: '', data: {} };
      }
      const count = (perId.get(deliveryId) ?? 0) + 1;
      perId.set(deliveryId, count);
      const answered = receiver.down || count <= FAIL_FIRST || req.method !== 'POST' ? 500 : 200;
      receiver.attempts.push({ deliveryId, raw, body, signed, answered, atMs: Date.now(), life: receiver.life });
      res.statusCode = answered;
      res.end(answered === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

const ok = (a: Attempt) => a.answered >= 200 && a.answered < 300;
const seqOf = (deliveryId: string) => Number(deliveryId.slice(deliveryId.lastIndexOf('.') + 1));

const running: NodeProcess[] = [];
let receiver: Receiver | undefined;
let dataDir = '';

afterAll(async () => {
  await Promise.all(running.map((p) => p.kill('SIGKILL')));
  await receiver?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

test('webhook deliveries failing at a SIGKILL resume after the restart: each event once with a 2xx, in order, signed, same id', async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-webhook-restart-'));
  const [port, sandboxPort] = await freePorts(2);
  const rx = (receiver = await startReceiver());
  const base = `http://127.0.0.1:${port}`;
  const nodeEnv = {
    PORT: String(port),
    SANDBOX_PORT: String(sandboxPort),
    SANDBOX_LATENCY_SCALE: '0.05',
    DATA_DIR: dataDir,
    QUOTE_DEADLINE_MS: '15000',
    WEBHOOK_FIRST_RETRY_MS: '100',
    WEBHOOK_SCAN_MS: '100',
    WEBHOOK_TIMEOUT_MS: '3000',
    PARTNER_WEBHOOK_SECRETS: `demo:${SECRET}`,
  };
  const start = async () => {
    const node = startNode('bin/start.js', nodeEnv);
    running.push(node);
    await waitForHttp(`${base}/api/v1/health`, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${node.output().split('\n').slice(-30).join('\n')}`);
    });
    return node;
  };
  let node = await start();

  const getApp = async (id: string) => {
    const res = await fetch(`${base}/api/v1/applications/${id}`, { headers: KEY });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string; quotes: { status: string; insurer: { code: string } }[] };
  };
  const post = async () => {
    const res = await fetch(`${base}/api/v1/applications`, {
      method: 'POST',
      headers: { ...KEY, 'content-type': 'application/json', 'x-callback-url': rx.url },
      body: JSON.stringify(sampleApplication(todayInMoscow())),
    });
    const text = await res.text();
    expect(`${res.status} ${text}`).toMatch(/^202 /);
    return (JSON.parse(text) as { id: string; insurers: { code: string }[] });
  };

  const posted: { id: string; insurers: { code: string }[] }[] = [];
  for (let i = 0; i < APPLICATIONS; i++) posted.push(await post());
  const ids = posted.map((p) => p.id);
  const describe = () => `${rx.attempts.length} attempts: ${rx.attempts.map((a) => `${a.deliveryId}=${a.answered}@${a.life}`).join(' ')}`;

  // the first delivery goes through (after its FAIL_FIRST failures), then the receiver goes down
  await eventually(() => (rx.attempts.some(ok) ? true : undefined), 15_000, 20, describe);
  rx.down = true;
  const downAt = Date.now();

  // every application completes while the receiver is down: its `completed` delivery at least is still to go
  const lastEvents = new Map<string, number>();
  for (const id of ids) {
    const app = await eventually(async () => {
      const a = await getApp(id);
      return a.status === 'completed' ? a : undefined;
    }, 20_000, 100, () => `application ${id} not completed`);
    lastEvents.set(id, app.quotes.length + 1);
  }
  // and the receiver keeps being asked, and answering 500, after it went down
  await eventually(() => (ids.every((id) => rx.attempts.some((a) => a.body.applicationId === id && a.atMs > downAt && !ok(a))) ? true : undefined),
    10_000, 20, describe);

  const succeededBeforeKill = new Set(rx.attempts.filter(ok).map((a) => a.deliveryId));
  const failingBeforeKill = new Set(rx.attempts.filter((a) => !ok(a) && !succeededBeforeKill.has(a.deliveryId)).map((a) => a.deliveryId));
  expect(failingBeforeKill.size).toBeGreaterThan(0); // the kill lands while deliveries are pending
  for (const id of ids) expect(succeededBeforeKill.has(`${id}.${lastEvents.get(id)}`)).toBe(false);
  const attemptsBeforeKill = rx.attempts.length;

  await node.kill('SIGKILL');
  rx.life = 2;
  node = await start();

  // the restarted node takes the queue up from DATA_DIR on its own: still down, so still failing
  await eventually(() => (rx.attempts.some((a) => a.life === 2) ? true : undefined), 20_000, 20,
    () => `no delivery attempt after the restart; ${describe()}\n${node.output().split('\n').slice(-20).join('\n')}`);
  rx.down = false;

  const expectedIds = ids.flatMap((id) => Array.from({ length: lastEvents.get(id)! }, (_, i) => `${id}.${i + 1}`));
  await eventually(() => {
    const done = new Set(rx.attempts.filter(ok).map((a) => a.deliveryId));
    return expectedIds.every((d) => done.has(d)) ? true : undefined;
  }, 45_000, 50, () => `not every event delivered: missing ${expectedIds.filter((d) => !rx.attempts.some((a) => ok(a) && a.deliveryId === d)).join(' ')}; ${describe()}`);
  // a little while longer for a repeat that should not come (retries are 100 ms apart at first)
  await new Promise((r) => setTimeout(r, 1_500));

  expect(rx.attempts.length).toBeGreaterThan(attemptsBeforeKill);
  // every request was signed under the partner's secret, named its delivery in the header and the body
  expect(rx.attempts.filter((a) => !a.signed).map((a) => a.deliveryId)).toEqual([]);
  expect(rx.attempts.filter((a) => a.body.id !== a.deliveryId).map((a) => `${a.deliveryId} body.id=${a.body.id}`)).toEqual([]);
  // nothing but these applications' events
  expect([...new Set(rx.attempts.map((a) => a.deliveryId))].filter((d) => !expectedIds.includes(d))).toEqual([]);

  // each delivery id answered 2xx exactly once
  const successes = new Map<string, number>();
  for (const a of rx.attempts.filter(ok)) successes.set(a.deliveryId, (successes.get(a.deliveryId) ?? 0) + 1);
  expect([...successes].filter(([, n]) => n !== 1).map(([d, n]) => `${d} ×${n}`)).toEqual([]);
  expect([...successes.keys()].sort()).toEqual([...expectedIds].sort());

  for (const id of ids) {
    const n = lastEvents.get(id)! - 1;
    const mine = rx.attempts.filter((a) => a.body.applicationId === id);
    for (let seq = 1; seq <= n + 1; seq++) {
      const deliveryId = `${id}.${seq}`;
      const tries = mine.filter((a) => a.deliveryId === deliveryId);
      // the same id on the failed attempts and on the one that succeeded, with the same body
      const firstOk = tries.findIndex(ok);
      expect(firstOk).toBeGreaterThanOrEqual(FAIL_FIRST);
      expect(tries.slice(0, firstOk).every((a) => !ok(a))).toBe(true);
      for (const t of tries) expect(t.body).toEqual(tries[0].body);
      expect(tries[0].body.applicationId).toBe(id);
      expect(tries[0].body.type).toBe(seq <= n ? 'quote' : 'completed');
      expect(Number.isNaN(Date.parse(tries[0].body.createdAt))).toBe(false);
      // in order: no attempt of an event before the previous one was answered 2xx
      if (seq > 1) {
        const previousOkAt = mine.find((a) => a.deliveryId === `${id}.${seq - 1}` && ok(a))!.atMs;
        expect(tries.filter((t) => t.atMs < previousOkAt).map((t) => t.deliveryId)).toEqual([]);
      }
    }
    // the quotes: each insurer's final state once, and `completed` agrees with them
    const delivered = (seq: number) => mine.find((a) => a.deliveryId === `${id}.${seq}` && ok(a))!.body;
    const quotes = Array.from({ length: n }, (_, i) => delivered(i + 1).data);
    const codes = quotes.map((q) => q.insurer?.code as string);
    expect([...codes].sort()).toEqual(posted.find((p) => p.id === id)!.insurers.map((i) => i.code).sort());
    expect(quotes.filter((q) => !FINAL.has(q.status)).map((q) => `${q.insurer?.code}=${q.status}`)).toEqual([]);
    const completed = delivered(n + 1).data as { status: string; applicationId: string; quotes: { insurer: { code: string }; status: string }[] };
    expect(completed.status).toBe('completed');
    expect(completed.applicationId).toBe(id);
    const statusOf = (list: { insurer: { code: string }; status: string }[]) => Object.fromEntries(list.map((q) => [q.insurer.code, q.status]));
    expect(statusOf(completed.quotes)).toEqual(statusOf(quotes as { insurer: { code: string }; status: string }[]));

    // what the API says of the deliveries
    const res = await fetch(`${base}/api/v1/applications/${id}/deliveries`, { headers: KEY });
    expect(res.status).toBe(200);
    const deliveries = (await res.json()) as { id: string; type: string; attempts: number; lastStatus: unknown; deliveredAt?: string }[];
    expect(deliveries.map((d) => d.id)).toEqual(Array.from({ length: n + 1 }, (_, i) => `${id}.${i + 1}`));
    for (const d of deliveries) {
      const seen = mine.filter((a) => a.deliveryId === d.id).length;
      expect(d.type).toBe(seqOf(d.id) <= n ? 'quote' : 'completed');
      expect(d.attempts).toBeGreaterThanOrEqual(1);
      expect(d.attempts).toBeLessThanOrEqual(seen); // never more than the receiver was sent
      expect(d.lastStatus).toBe(200);
      expect(typeof d.deliveredAt).toBe('string');
      expect(Number.isNaN(Date.parse(d.deliveredAt ?? ''))).toBe(false);
    }
  }
  // the deliveries that were failing at the kill were taken up after the restart
  for (const d of failingBeforeKill) expect(rx.attempts.some((a) => a.deliveryId === d && a.life === 2 && ok(a))).toBe(true);
});
