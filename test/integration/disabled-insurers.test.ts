/** A switched-off insurer (DISABLED_INSURERS) is `unavailable` at once and never asked. */
import { io as connect, type Socket } from 'socket.io-client';
import { startSystem, api, callsTo, eventually, waitCompleted, type RunningSystem } from '../support/system';
import { sampleApplication } from '../unit/fixtures/application';
import { todayInMoscow } from '../../lib/dates';
import { INSURERS } from '../../lib/insurers/catalog';
import type { Quote } from '../../lib/quotes/types';

const off = INSURERS[0].code;
let system: RunningSystem;
let socket: Socket;

afterEach(async () => {
  socket?.disconnect();
  await system?.stop();
});

test('its quote is `unavailable` from the start, pushed live, and the sandbox never hears of it', async () => {
  system = await startSystem({ env: { DISABLED_INSURERS: off, QUOTE_DEADLINE_MS: '5000' } });
  socket = connect(system.baseUrl, { transports: ['websocket'], reconnection: false });
  const quotes: Quote[] = [];
  socket.on('quote', (q: Quote) => quotes.push(q));
  const ack = await socket.timeout(5000).emitWithAck('apply', sampleApplication(todayInMoscow()));
  expect(ack.ok).toBe(true);
  expect(ack.insurers.map((i: { code: string }) => i.code)).toContain(off);

  const pushed = await eventually(() => quotes.find((q) => q.insurer.code === off), 5_000);
  expect(pushed).toMatchObject({ status: 'unavailable', reason: expect.any(String), applicationId: ack.id });

  const done = await eventually(async () => {
    const snap = await system.broker.call<{ status: string; quotes: Quote[] }, unknown>('applications.snapshot', { id: ack.id, token: ack.token });
    return snap.status === 'completed' ? snap : undefined;
  }, 10_000);
  expect(done.quotes.find((q) => q.insurer.code === off)?.status).toBe('unavailable');
  expect(done.quotes.filter((q) => q.status === 'offer').length).toBeGreaterThan(0);
  expect(callsTo(system, off)).toBe(0);
});

test('with every insurer switched off the application completes at once', async () => {
  system = await startSystem({ env: { DISABLED_INSURERS: INSURERS.map((i) => i.code).join(',') } });
  const created = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
  const answeredAt = Date.now();
  expect(created.status).toBe(202);
  const done = await waitCompleted(system, created.json.id, 5_000);
  const quotes = done.quotes as Quote[];
  expect(quotes.map((q) => q.insurer.code).sort()).toEqual(INSURERS.map((i) => i.code).sort());
  expect(quotes.filter((q) => q.status !== 'unavailable')).toEqual([]);
  expect(done.bestOffer).toBeUndefined();
  // at once: completed before the 202 was even sent (same clock), not by the deadline sweep
  expect(Date.parse(done.completedAt)).toBeLessThanOrEqual(answeredAt);
});
