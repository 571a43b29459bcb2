/** The REPL's `insurers` and `application <id>` (CONTRACT §8) against a real system. */
import { todayInMoscow } from '../../lib/dates';
import { INSURERS } from '../../lib/insurers/catalog';
import { applicationReplCommand, insurersReplCommand } from '../../services/ops/repl';
import { api, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { sampleApplication } from '../unit/fixtures/application';

jest.setTimeout(60_000);

let system: RunningSystem;
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system?.stop());

/** moleculer-repl hands a command its parsed arguments as an object; its type declares a string list. */
function replArgs(args: Record<string, string>): string[] {
  return Object.assign([], args);
}

async function printed(run: () => Promise<unknown> | unknown): Promise<string> {
  const lines: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')));
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

test('insurers: a row per insurer with its circuit and figures; application: its quotes in the order they came', async () => {
  const created = await api(system, 'POST', '/api/v1/applications', sampleApplication(todayInMoscow()));
  const done = await waitCompleted(system, created.json.id as string);

  const insurers = await printed(() => insurersReplCommand.action(system.broker, [], {}));
  for (const insurer of INSURERS) expect(insurers).toMatch(new RegExp(`^${insurer.code}\\s+.*\\s(closed|open|half-open)\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+1\\s+[1-9]\\d*\\s`, 'm'));

  const timeline = await printed(() => applicationReplCommand.action(system.broker, replArgs({ id: done.id }), {}));
  expect(timeline.split('\n')[0]).toContain(`${done.id}: completed`);
  const rows = timeline.split('\n').slice(3);
  expect(rows).toHaveLength(INSURERS.length);
  const offsets = rows.map((row) => Number(/^\+(\d+\.\d+) s/.exec(row)?.[1]));
  expect(offsets.every((n) => Number.isFinite(n))).toBe(true);
  expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  expect(timeline).not.toMatch(/Иван|4510|123456/); // no personal data

  expect(await printed(() => applicationReplCommand.action(system.broker, replArgs({ id: 'no-such-id' }), {}))).toContain('not found');
});
