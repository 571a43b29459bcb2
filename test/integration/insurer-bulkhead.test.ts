/** Moleculer's bulkhead on an insurer's actions: at most INSURER_CONCURRENCY calls in flight per node. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSystem, type RunningSystem } from '../support/system';
import { sampleApplication } from '../unit/fixtures/application';
import { todayInMoscow } from '../../lib/dates';
import { INSURERS } from '../../lib/insurers/catalog';

const standard = INSURERS.find((i) => i.dialect === 'standard')!;
let system: RunningSystem;
let server: http.Server;
let inFlight = 0;
let peak = 0;
let served = 0;

beforeAll(async () => {
  // a standard-dialect insurer that takes 200 ms to accept each application
  server = http.createServer((req, res) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    req.resume();
    setTimeout(() => {
      inFlight -= 1;
      served += 1;
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `ext-${served}`, status: 'processing', retryAfterMs: 100 }));
    }, 200);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  system = await startSystem({
    env: { INSURERS_URL: `http://127.0.0.1:${port}`, INSURER_CONCURRENCY: '2' },
    parts: ['applications', 'insurers', 'offers-stream'],
  });
});

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => server.close(resolve));
});

test('six concurrent submits reach the insurer two at a time, and all of them succeed', async () => {
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: 6 }, (_, n) =>
      system.broker.call<{ kind: string; externalId: string }, unknown>(`insurers.${standard.code}.submit`, {
        applicationId: `bulkhead-${n}`,
        application: sampleApplication(todayInMoscow()),
        deadlineMs: Date.now() + 10_000,
      }),
    ),
  );
  expect(results.every((r) => r.kind === 'accepted')).toBe(true);
  expect(peak).toBe(2);
  expect(served).toBe(6);
  // three waves of two, 200 ms each
  expect(Date.now() - started).toBeGreaterThanOrEqual(550);
});
