/** An application's events as numbered for SSE and webhooks (services/applications/events.ts). */
import { eventsAfter } from '../../services/applications/events';
import { offer, quotingDoc } from '../integration/storage-engines';

const codes = ['a', 'b', 'c', 'd', 'e'];

test('numbered quotes in number order, completed last as n+1, only those above `after`', () => {
  const doc = quotingDoc('app', codes);
  doc.quotes.c = { ...offer('app', 'c', 100), seq: 1 };
  doc.quotes.a = { ...offer('app', 'a', 200), seq: 2 };
  const quoting = eventsAfter(doc, 0);
  expect(quoting.events.map((e) => [e.seq, (e.data as { insurer: { code: string } }).insurer.code])).toEqual([[1, 'c'], [2, 'a']]);
  expect(quoting).toMatchObject({ completed: false, lastSeq: 6 });
  expect(eventsAfter(doc, 1).events.map((e) => e.seq)).toEqual([2]);
  expect(JSON.stringify(quoting.events.map((e) => e.data))).not.toContain('"seq"');

  for (const [n, code] of ['b', 'd', 'e'].entries()) doc.quotes[code] = { ...offer('app', code, 300), seq: n + 3 };
  doc.status = 'completed';
  doc.completedAt = new Date().toISOString();
  const done = eventsAfter(doc, 4);
  expect(done.events.map((e) => [e.seq, e.type])).toEqual([[5, 'quote'], [6, 'completed']]);
  expect(eventsAfter(doc, 6).events).toEqual([]);
});

test('quotes made final before numbers were stored take the lowest numbers left, so completed stays last', () => {
  // a and b went final before the upgrade (no seq); the store counted them when it numbered c, d, e 3…5
  const doc = quotingDoc('app', codes);
  doc.quotes.a = offer('app', 'a', 1);
  doc.quotes.b = offer('app', 'b', 2);
  for (const [n, code] of ['c', 'd', 'e'].entries()) doc.quotes[code] = { ...offer('app', code, 3), seq: n + 3 };
  doc.status = 'completed';
  const all = eventsAfter(doc, 0).events;
  expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(all.map((e) => (e.type === 'quote' ? (e.data as { insurer: { code: string } }).insurer.code : e.type))).toEqual(['a', 'b', 'c', 'd', 'e', 'completed']);
  // a delivery or stream that had sent 2 before the upgrade goes on with c, and ends with completed
  expect(eventsAfter(doc, 2).events.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
});
