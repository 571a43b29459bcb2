/**
 * Two `applications` nodes racing on one store (two PostgreSQL pools on one database; MongoDB likewise;
 * the embedded store has one owner, so there its calls race within one process): hundreds of
 * applications, every insurer's answer delivered to both nodes, each settle followed by that node's
 * completeIfSettled, and both nodes' deadline sweeps expiring the same applications, all in a shuffled
 * order at once. Each application must complete exactly once, each quote change state exactly once,
 * and nothing change after completion.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Quote } from '../../lib/quotes/types';
import type { ApplicationDoc, ApplicationStore } from '../../services/applications/stores/types';
import { seededRandom } from '../support/random';
import { availableEngines, offer, quotingDoc, uniqueId, type Engine } from './storage-engines';

jest.setTimeout(120_000);

const APPLICATIONS = 300;
const CODES = ['c0', 'c1', 'c2', 'c3', 'c4'];
const IN_FLIGHT = 64;

/** How an application's race is set up: answers for every insurer or only some; a deadline sweep or not. */
const shapes = [
  { answered: CODES, expired: false }, // only completeIfSettled can complete it
  { answered: CODES, expired: true }, // the last answers race both sweeps
  { answered: CODES.slice(0, 3), expired: true }, // the sweep must time out c3, c4
];

async function runAtMost(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

describe.each(availableEngines())('racing on %s', (_name, start) => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await start();
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test(`${APPLICATIONS} applications: completed exactly once, each quote settled once, nothing after completion`, async () => {
    const nodes: ApplicationStore[] = [engine.store, engine.peer];
    const ids = Array.from({ length: APPLICATIONS }, () => uniqueId('race'));
    for (const id of ids) await engine.store.insert(quotingDoc(id, CODES));

    const transitions = new Map<string, Quote[]>(); // `${id}/${code}` → every change this run made to that quote
    const completions = new Map<string, ApplicationDoc[]>();
    const record = (quote: Quote) => {
      const key = `${quote.applicationId}/${quote.insurer.code}`;
      transitions.set(key, [...(transitions.get(key) ?? []), quote]);
    };
    const completed = (doc: ApplicationDoc | undefined) => {
      if (doc) completions.set(doc.id, [...(completions.get(doc.id) ?? []), doc]);
    };

    const tasks: Array<() => Promise<void>> = [];
    ids.forEach((id, i) => {
      const shape = shapes[i % shapes.length];
      for (const code of shape.answered) {
        nodes.forEach((node, n) => {
          tasks.push(async () => {
            const answer = offer(id, code, 1000 * (n + 1) + i); // which node's copy won shows in the premium
            const settled = await node.settleQuote(answer);
            if (settled) record(settled);
            completed(await node.completeIfSettled(id, new Date().toISOString()));
          });
        });
      }
      if (shape.expired) {
        for (const node of nodes) {
          tasks.push(async () => {
            const expired = await node.expire(id, new Date().toISOString());
            expired.timedOut.forEach(record);
            completed(expired.completed);
          });
        }
      }
    });
    await runAtMost(shuffle(tasks, seededRandom()), IN_FLIGHT);

    const problems: string[] = [];
    for (const id of ids) {
      const done = completions.get(id) ?? [];
      if (done.length !== 1) {
        problems.push(`${id}: completed ${done.length} times`);
        continue;
      }
      const [doc] = done;
      for (const code of CODES) {
        const changes = transitions.get(`${id}/${code}`) ?? [];
        if (changes.length !== 1) problems.push(`${id}/${code}: changed ${changes.length} times`);
        // what the completion answered holds every change: none came after it
        else if (!isDeepStrictEqual(doc.quotes[code], changes[0])) problems.push(`${id}/${code}: completed with ${doc.quotes[code]?.status}, changed to ${changes[0].status}`);
      }
      // every final state numbered once, with nothing skipped, whichever node made it
      const seqs = Object.values(doc.quotes).map((q) => q.seq).sort((a, b) => (a ?? 0) - (b ?? 0));
      if (!isDeepStrictEqual(seqs, CODES.map((_, n) => n + 1))) problems.push(`${id}: numbered ${seqs.join(',')}`);
      const stored = await engine.peer.find(id);
      if (stored?.status !== 'completed') problems.push(`${id}: stored ${stored?.status}`);
      else expect(stored).toEqual(doc);
    }
    expect(problems).toEqual([]);

    // the shapes did what they were meant to: completions from settles, and timeouts from the sweeps
    const timeouts = [...transitions.values()].flat().filter((q) => q.status === 'timeout').length;
    expect(timeouts).toBeGreaterThanOrEqual((APPLICATIONS / shapes.length) * 2);
    expect([...completions.values()].flat().filter((doc) => doc.quotes.c4.status === 'offer').length).toBeGreaterThan(APPLICATIONS / shapes.length);
  });
});
