/** The gateway's audit trail on a real broker: outcomes recorded, and an audit that is down never fails the request. */
import { ServiceBroker } from 'moleculer';
import { NotFoundError, UnauthorizedError } from '../../lib/errors';
import { AuditTrail, outcomeOf } from '../../services/gateway/audit-trail';
import type { AuditEntry } from '../../services/audit/types';

test('outcomes by the problem status', () => {
  expect(outcomeOf(new NotFoundError())).toBe('not-found');
  expect(outcomeOf(new UnauthorizedError())).toBe('denied');
  expect(outcomeOf(new Error('boom'))).toBe('error');
});

test('entries reach audit.record in a batch, each with its outcome', async () => {
  const recorded: AuditEntry[] = [];
  const broker = new ServiceBroker({ logger: false, nodeID: 'gw-test' });
  broker.createService({ name: 'audit', actions: { record: (ctx) => void recorded.push(...(ctx.params as { entries: AuditEntry[] }).entries) } });
  await broker.start();
  try {
    const trail = new AuditTrail(broker, { batchMs: 5 });
    await expect(trail.around({ actor: 'partner:a', action: 'read', applicationId: 'x' }, async () => 'view')).resolves.toBe('view');
    await expect(trail.around({ actor: 'partner:b', action: 'read', applicationId: 'x' }, async () => { throw new NotFoundError(); })).rejects.toThrow(NotFoundError);
    await trail.around({ actor: 'partner:a', action: 'list' }, async () => [{ id: 'x' }, { id: 'y' }], (items) => items.map((i) => i.id));
    await trail.flush();
    expect(recorded.map(({ actor, action, applicationIds, outcome, node }) => ({ actor, action, applicationIds, outcome, node }))).toEqual([
      { actor: 'partner:a', action: 'read', applicationIds: ['x'], outcome: 'ok', node: 'gw-test' },
      { actor: 'partner:b', action: 'read', applicationIds: ['x'], outcome: 'not-found', node: 'gw-test' },
      { actor: 'partner:a', action: 'list', applicationIds: ['x', 'y'], outcome: 'ok', node: 'gw-test' },
    ]);
  } finally {
    await broker.stop();
  }
});

test('with the audit down the request is answered, and the entry is retried, then logged in full', async () => {
  const logged: string[] = [];
  const broker = new ServiceBroker({
    nodeID: 'gw-alone',
    logger: { type: 'Console', options: { formatter: 'simple', colors: false } },
    logLevel: 'error',
  });
  const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
  await broker.start();
  try {
    const trail = new AuditTrail(broker, { batchMs: 5, retries: 2, retryBaseMs: 5 });
    await expect(trail.around({ actor: 'partner:a', action: 'read', applicationId: 'app-9' }, async () => 'answered')).resolves.toBe('answered');
    await trail.flush();
    expect(logged.join('\n')).toMatch(/audit: 1 entries not recorded \(.*\): \[\{.*"actor":"partner:a".*"applicationIds":\["app-9"\]/);
  } finally {
    spy.mockRestore();
    await broker.stop();
  }
});

describe('ids as clients send them', () => {
  test('a real id is kept; one no store would take is kept as a digest, the same for the same input', async () => {
    const { recordableId } = await import('../../services/gateway/audit-trail');
    expect(recordableId('6f1c2a9e-8d4b-4c7e-9a51-2b6f0e7d4c10')).toBe('6f1c2a9e-8d4b-4c7e-9a51-2b6f0e7d4c10');
    const hostile = 'x'.repeat(101);
    expect(recordableId(hostile)).toMatch(/^invalid:[0-9a-f]{32}$/);
    expect(recordableId(hostile)).toBe(recordableId(hostile));
    expect(recordableId('a\u0000b')).toMatch(/^invalid:/);
    expect(recordableId('')).toMatch(/^invalid:/);
  });
});
