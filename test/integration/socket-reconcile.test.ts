/**
 * When the pushes do not come (here: no offers-stream node at all, so every broker event for the
 * sockets is lost), a subscriber still gets its snapshot from applications, and once the deadline has
 * passed the gateway reads the snapshot and sends every final quote, then `completed`, each once.
 */
import type { Socket } from 'socket.io-client';
import { todayInMoscow } from '../../lib/dates';
import { sampleApplication } from '../unit/fixtures/application';
import { startSystem, type RunningSystem } from '../support/system';
import { connectClient, emitAck, EventLog, FINAL_STATUSES } from '../support/sockets';
import { eventually } from '../support/wait';

const DEADLINE_MS = 3_000;
let system: RunningSystem;
const sockets: Socket[] = [];

beforeAll(async () => {
  system = await startSystem({ parts: ['gateway', 'applications', 'insurers'], env: { QUOTE_DEADLINE_MS: String(DEADLINE_MS) } });
});

afterAll(async () => {
  sockets.forEach((s) => s.disconnect());
  await system?.stop();
});

test('without offers-stream: snapshot from applications, then every final quote and completed once after the deadline', async () => {
  const applicant = await connectClient(system.baseUrl);
  const watcher = await connectClient(system.baseUrl);
  sockets.push(applicant, watcher);
  const logs = [new EventLog().attach(applicant), new EventLog().attach(watcher)];

  const applied = await emitAck(applicant, 'apply', sampleApplication(todayInMoscow()));
  expect(applied).toMatchObject({ ok: true, id: expect.any(String) });
  const subscribed = await emitAck(watcher, 'subscribe', { id: applied.id, token: applied.token });
  expect(subscribed).toMatchObject({ ok: true, snapshot: { status: 'quoting' } });
  expect(subscribed.snapshot.quotes).toHaveLength(applied.insurers.length);

  // the gateway waits the deadline and its grace (1.5 s) before it reads the snapshot itself
  for (const log of logs) await eventually(() => (log.completedOf(applied.id).length > 0 ? true : undefined), DEADLINE_MS + 8_000, 50);
  await new Promise((resolve) => setTimeout(resolve, 2_500)); // a reconciliation round or two more: nothing is sent twice

  const [applicantLog, watcherLog] = logs;
  expect(applicantLog.completedOf(applied.id)).toHaveLength(1);
  expect(watcherLog.completedOf(applied.id)).toHaveLength(1);
  const completed = applicantLog.completedOf(applied.id)[0];
  for (const q of completed.quotes) expect(FINAL_STATUSES).toContain(q.status);
  // the applicant had seen nothing: every final quote reached it once, before `completed`
  const states = applicantLog.statesOf(applied.id);
  expect(Object.keys(states).sort()).toEqual(completed.quotes.map((q) => q.insurer.code).sort());
  for (const [code, seen] of Object.entries(states)) expect({ code, seen }).toEqual({ code, seen: [completed.quotes.find((q) => q.insurer.code === code)?.status] });
  // the watcher's snapshot counted as seen: only quotes final after it came, each once
  for (const [code, seen] of Object.entries(watcherLog.statesOf(applied.id))) expect({ code, times: seen.length }).toEqual({ code, times: 1 });
});
