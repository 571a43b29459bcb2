/**
 * The embedded store's in-memory form of an application gives back exactly the document it was
 * made from, whether its quotes are kept as the shared pending mark or as JSON of their own.
 */
import { docOf, entryOf, lines } from '../../services/applications/stores/embedded-state';
import type { ApplicationDoc } from '../../services/applications/stores/types';
import type { Application } from '../../lib/application/types';
import { newApplication } from '../../services/applications/new-application';
import { loadConfig } from '../../lib/config';
import { sampleApplication } from './fixtures/application';
import { todayInMoscow } from '../../lib/dates';

const config = loadConfig({ DISABLED_INSURERS: 'tri-kita' }); // one quote `unavailable` from the start

function fresh(id: string): ApplicationDoc<Application> {
  return newApplication(config, id, 'partner-1', sampleApplication(todayInMoscow()), Date.parse('2026-12-02T10:00:00.000Z'));
}

test('a new application reads back as it was stored, and its journal line holds every quote in full', () => {
  const doc = fresh('app-1');
  const entry = entryOf(doc);
  expect(docOf(entry)).toEqual(doc);
  expect(JSON.parse(lines.insert(entry)).quotes).toEqual(doc.quotes);
  // the pending ones are kept as the shared mark, the one `unavailable` from the start as its JSON
  const kept = [...entry.quotes].map(([code, stored]) => [code, typeof stored]);
  expect(kept).toEqual(Object.entries(doc.quotes).map(([code, q]) => [code, q.status === 'pending' ? 'object' : 'string']));
  expect(kept.filter(([, kind]) => kind === 'string')).toEqual([['tri-kita', 'string']]);
});

test("the list of insurers is kept apart from the body (one shared text), and an application's data cannot be mistaken for it", () => {
  const a = entryOf(fresh('app-4'));
  const b = entryOf(fresh('app-5'));
  expect(a.insurersJson).toBeDefined();
  expect(a.insurersJson).toBe(b.insurersJson);
  const tricky = fresh('app-6');
  tricky.application.owner.lastName = '\u0000insurers';
  const kept = entryOf(tricky);
  expect(kept.bodyTail).toBeUndefined();
  expect(docOf(kept)).toEqual(tricky);
});

test('pending quotes that are not the ones a new application starts with are kept as they are', () => {
  const doc = fresh('app-2');
  const [first, second] = Object.keys(doc.quotes);
  doc.quotes[first] = { ...doc.quotes[first], at: '2026-12-02T10:00:05.000Z' };
  doc.quotes[second] = { ...doc.quotes[second], insurer: { code: second, name: 'Другое имя' } };
  expect(docOf(entryOf(doc))).toEqual(doc);
  const other = fresh('app-3');
  expect(docOf(entryOf(other)).quotes[first].applicationId).toBe('app-3'); // a mark shared by both gives each its own id
});
