/** The operators' figures: one node's calls to one insurer, and the row merged over every node. */
import { CallFigures } from '../../lib/insurers/call-figures';
import { insurerOpsRow, type InsurerNodeFigures } from '../../lib/ops/insurer-view';
import { nodeOpsRows } from '../../lib/ops/nodes';

function virtualClock(startMs = Date.parse('2026-12-02T10:00:00Z')) {
  let now = startMs;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('CallFigures', () => {
  test('calls in flight go up at begin and down once per call, however often it is ended', () => {
    const figures = new CallFigures(10);
    const first = figures.begin();
    const second = figures.begin();
    expect(figures.detail().inFlight).toBe(2);
    first();
    first();
    expect(figures.detail().inFlight).toBe(1);
    second();
    expect(figures.detail().inFlight).toBe(0);
  });

  test('per minute counts the calls that ended in the last 60 s, on a virtual clock', () => {
    const clock = virtualClock();
    const figures = new CallFigures(1000, clock.now);
    for (let i = 0; i < 30; i += 1) figures.record(true, 10);
    clock.advance(30_000);
    for (let i = 0; i < 20; i += 1) figures.record(i % 2 === 0, 10);
    expect(figures.detail().perMinute).toBe(50);
    clock.advance(30_500); // the first 30 are now more than a minute old
    expect(figures.detail().perMinute).toBe(20);
    clock.advance(120_000);
    expect(figures.detail().perMinute).toBe(0);
    expect(figures.detail().calls).toBe(50);
  });

  test('a slot reused a minute later starts from zero, not from the old count', () => {
    const clock = virtualClock();
    const figures = new CallFigures(1000, clock.now);
    for (let i = 0; i < 7; i += 1) figures.record(true, 1);
    clock.advance(60_000); // same slot (second % 60), another second
    figures.record(true, 1);
    expect(figures.detail().perMinute).toBe(1);
  });

  test('the last five errors, newest first, with the time they happened, cut to 200 characters', () => {
    const clock = virtualClock();
    const figures = new CallFigures(100, clock.now);
    for (let i = 1; i <= 7; i += 1) {
      clock.advance(1_000);
      figures.record(false, 5, `error ${i}${i === 7 ? 'x'.repeat(500) : ''}`);
      figures.record(true, 5);
    }
    const { lastErrors, failures, recent } = figures.detail();
    expect(lastErrors.map((e) => e.message.slice(0, 7))).toEqual(['error 7', 'error 6', 'error 5', 'error 4', 'error 3']);
    expect(lastErrors[0].message).toHaveLength(200);
    expect(lastErrors[0].at).toBe('2026-12-02T10:00:07.000Z');
    expect(failures).toBe(7);
    expect(recent.failureRate).toBe(0.5);
  });

  test('recent figures keep only the last N calls', () => {
    const figures = new CallFigures(4);
    for (const ms of [1000, 1000, 1000, 1000, 10, 20, 30, 40]) figures.record(true, ms);
    const detail = figures.detail();
    expect(detail.recentLatenciesMs).toEqual([10, 20, 30, 40]);
    expect(detail.recent).toEqual({ calls: 4, failureRate: 0, p50LatencyMs: 30, p95LatencyMs: 40 });
    expect(figures.summary()).not.toHaveProperty('recentLatenciesMs');
  });
});

function nodeFigures(nodeID: string, state: 'closed' | 'open' | 'half-open', since: string, latencies: number[], failed: number, extra: Partial<InsurerNodeFigures> = {}): InsurerNodeFigures {
  return {
    code: 'alfa', name: 'Альфа', nodeID, state, since,
    calls: latencies.length, failures: failed, inFlight: 0, perMinute: latencies.length,
    recent: { calls: latencies.length, failureRate: failed / latencies.length, p50LatencyMs: null, p95LatencyMs: null },
    lastErrors: [], recentLatenciesMs: [...latencies].sort((a, b) => a - b), recentFailures: failed,
    ...extra,
  };
}

describe('the insurer row over several nodes', () => {
  test('open anywhere is open, since the first node opened; success and latency over every call', () => {
    const a = nodeFigures('node-a', 'closed', '2026-12-02T09:00:00.000Z', Array.from({ length: 90 }, () => 100), 0, { inFlight: 3, perMinute: 90 });
    const b = nodeFigures('node-b', 'open', '2026-12-02T10:05:00.000Z', Array.from({ length: 10 }, () => 5000), 10, {
      inFlight: 1, perMinute: 10, lastErrors: [{ at: '2026-12-02T10:05:00.000Z', message: 'INSURER_THROTTLED: alfa answered 503' }],
    });
    const c = nodeFigures('node-c', 'open', '2026-12-02T10:04:00.000Z', [], 0, { recent: { calls: 0, failureRate: 0, p50LatencyMs: null, p95LatencyMs: null } });
    const row = insurerOpsRow('alfa', 'Альфа', [b, a, c]);
    expect(row.circuit).toBe('open');
    expect(row.circuitSince).toBe('2026-12-02T10:04:00.000Z');
    expect(row.nodes.map((n) => n.nodeID)).toEqual(['node-a', 'node-b', 'node-c']);
    expect(row.recentCalls).toBe(100);
    expect(row.successRate).toBeCloseTo(0.9);
    expect(row.p50LatencyMs).toBe(100); // merged samples, not an average of two medians (2550)
    expect(row.p95LatencyMs).toBe(5000);
    expect(row.inFlight).toBe(4);
    expect(row.perMinute).toBe(100);
    expect(row.lastErrors).toEqual([{ at: '2026-12-02T10:05:00.000Z', message: 'INSURER_THROTTLED: alfa answered 503', nodeID: 'node-b' }]);
  });

  test('closed everywhere is closed since the last node closed; half-open wins over closed', () => {
    const a = nodeFigures('a', 'closed', '2026-12-02T09:00:00.000Z', [10], 0);
    const b = nodeFigures('b', 'closed', '2026-12-02T09:30:00.000Z', [10], 0);
    expect(insurerOpsRow('alfa', 'Альфа', [a, b])).toMatchObject({ circuit: 'closed', circuitSince: '2026-12-02T09:30:00.000Z' });
    const h = nodeFigures('h', 'half-open', '2026-12-02T09:40:00.000Z', [10], 0);
    expect(insurerOpsRow('alfa', 'Альфа', [a, h])).toMatchObject({ circuit: 'half-open', circuitSince: '2026-12-02T09:40:00.000Z' });
  });

  test('last errors from every node merged newest first, five at most', () => {
    const errs = (node: string, minutes: number[]) => minutes.map((m) => ({ at: `2026-12-02T10:${String(m).padStart(2, '0')}:00.000Z`, message: `${node} ${m}` }));
    const a = nodeFigures('a', 'closed', '2026-12-02T09:00:00.000Z', [10], 1, { lastErrors: errs('a', [9, 7, 5, 3, 1]) });
    const b = nodeFigures('b', 'closed', '2026-12-02T09:00:00.000Z', [10], 1, { lastErrors: errs('b', [8, 6, 4, 2, 0]) });
    expect(insurerOpsRow('alfa', 'Альфа', [a, b]).lastErrors.map((e) => e.message)).toEqual(['a 9', 'b 8', 'a 7', 'b 6', 'a 5']);
  });

  test('no node runs it: none, with no figures', () => {
    expect(insurerOpsRow('alfa', 'Альфа', [])).toEqual({
      code: 'alfa', name: 'Альфа', circuit: 'none', circuitSince: null, nodes: [], calls: 0, failures: 0, recentCalls: 0, successRate: null,
      p50LatencyMs: null, p95LatencyMs: null, inFlight: 0, perMinute: 0, lastErrors: [],
    });
  });
});

test('nodes: their parts from the services they run, Moleculer\'s own left out, available first', () => {
  const rows = nodeOpsRows([
    { id: 'worker-2', available: false, local: false, services: [{ name: 'insurers.alfa' }] },
    { id: 'edge-1', available: true, local: true, hostname: 'h1', services: [{ name: '$node' }, { name: 'sandbox' }, { name: 'gateway' }, { name: 'insurers.alfa' }, { name: 'insurers.ingos' }, { name: 'applications' }] },
  ]);
  expect(rows).toEqual([
    { nodeID: 'edge-1', available: true, local: true, hostname: 'h1', parts: ['gateway', 'applications', 'insurers', 'sandbox'], insurers: 2 },
    { nodeID: 'worker-2', available: false, local: false, hostname: null, parts: ['insurers'], insurers: 1 },
  ]);
});
