/**
 * Webhooks on PostgreSQL with two `applications` nodes sharing the `webhooks` table: retries are
 * taken up by whichever node's scan finds them due (both scan every 20 ms), and the lease lets one
 * node deliver an application at a time, so every event reaches the receiver with a 2xx exactly once.
 */
import { todayInMoscow } from '../../lib/dates';
import { api, listenSandbox, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { eventually } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { sampleApplication } from '../unit/fixtures/application';
import { createTestDatabase, type TestDatabase } from './storage-engines';
import type { Sandbox } from '../../sandbox/types';

jest.setTimeout(90_000);

let database: TestDatabase;
let sandbox: Sandbox;
let receiver: WebhookReceiver;
const nodes: RunningSystem[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = (await listenSandbox(0.05)).sandbox;
  // every delivery fails twice: most retries fall due while the other node scans too
  receiver = await startWebhookReceiver({ secret: 'demo-webhook-secret', answer: (_a, soFar) => (soFar <= 2 ? 500 : 200) });
  const env = { DATABASE_URL: database.url, DATA_KEY: Buffer.alloc(32, 9).toString('base64'), WEBHOOK_FIRST_RETRY_MS: '200', WEBHOOK_SCAN_MS: '20', QUOTE_DEADLINE_MS: '10000' };
  nodes.push(await startSystem({ sandbox, env }));
  nodes.push(await startSystem({ sandbox, env }));
});

afterAll(async () => {
  for (const node of nodes) await node.stop();
  await receiver?.close();
  await sandbox?.close();
  await database?.drop();
});

test('two nodes, one table: every event delivered once with a 2xx, retried by either node', async () => {
  const created: Array<{ id: string; events: number }> = [];
  for (let i = 0; i < 6; i++) {
    const node = nodes[i % 2];
    const answer = await api(node, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()), { headers: { 'X-Callback-Url': receiver.url } });
    expect(answer.status).toBe(202);
    created.push({ id: answer.json.id as string, events: (answer.json.insurers as unknown[]).length + 1 });
  }
  const total = created.reduce((sum, c) => sum + c.events, 0);
  await eventually(() => (receiver.succeeded().size === total ? true : undefined), 60_000, 100);
  for (const { id } of created) await waitCompleted(nodes[0], id);
  await new Promise((r) => setTimeout(r, 1_000)); // time for a stray repeat to show

  const ok = receiver.succeeded();
  for (const { id, events } of created) {
    for (let seq = 1; seq <= events; seq++) expect({ id: `${id}.${seq}`, successes: ok.get(`${id}.${seq}`)?.length }).toEqual({ id: `${id}.${seq}`, successes: 1 });
  }
  expect(receiver.attempts.every((a) => a.signed)).toBe(true);
  // every record ends done with its lease given back
  const rows = await database.sql<{ lease_owner: string | null; done: boolean }[]>`SELECT lease_owner, done FROM webhooks`;
  expect(rows).toHaveLength(created.length);
  expect(rows.every((row) => row.done && row.lease_owner === null)).toBe(true);
  const deliveries = await api(nodes[1], 'GET', `/api/v1/applications/${created[0].id}/deliveries`);
  expect(deliveries.json).toHaveLength(created[0].events);
  expect((deliveries.json as Array<{ attempts: number; lastStatus: number }>).every((d) => d.attempts === 3 && d.lastStatus === 200)).toBe(true);
});
