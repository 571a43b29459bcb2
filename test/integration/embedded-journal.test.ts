/**
 * The embedded store's file: what survives a close, a kill (records written, never closed) and a
 * torn last line; compaction; the import of the NeDB files it used to keep; and its one owner's
 * exactly-once under a burst. The store's contract itself is storage.test.ts's.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { LOCK_FILE } from '../../services/applications/stores/owner-lock';
import { createEmbeddedStore, JOURNAL_FILE, type EmbeddedOptions, type EmbeddedStore } from '../../services/applications/stores/embedded';
import type { ApplicationDoc } from '../../services/applications/stores/types';
import { offer, quotingDoc } from './storage-engines';

const stores: EmbeddedStore[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function dataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'osago-journal-'));
}

async function openStore(dir: string, options: EmbeddedOptions = {}): Promise<EmbeddedStore> {
  const store = createEmbeddedStore(dir, { warn: () => undefined, ...options });
  stores.push(store);
  await store.connect();
  return store;
}

/** A store that will be left open as a killed process leaves it: the next store on its files must not find it holding them. */
const KILLED: EmbeddedOptions = { unlocked: true };

const journalOf = (dir: string) => path.join(dir, JOURNAL_FILE);
const journalBytes = (dir: string) => fs.statSync(journalOf(dir)).size;
const records = (dir: string) =>
  fs
    .readFileSync(journalOf(dir), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { op: string; id?: string });

/** Everything a store answers about `ids` and the partner `demo`, to compare two stores by. */
async function everything(store: EmbeddedStore, ids: readonly string[], keys: readonly string[] = []) {
  return {
    docs: await Promise.all(ids.map((id) => store.find(id))),
    due: await store.due(Number.MAX_SAFE_INTEGER, 1_000),
    open: (await store.open(0)).sort((a, b) => a.id.localeCompare(b.id)),
    page: await store.listByPartner('demo', 0, 1_000),
    keys: await Promise.all(keys.map((id) => store.idempotency.find(id))),
  };
}

/** A few applications in every state there is, and two idempotency records (one removed). */
async function fill(store: EmbeddedStore): Promise<{ ids: string[]; keys: string[] }> {
  const ids = ['settled', 'completed', 'expired', 'quoting', 'removed'];
  for (const [i, id] of ids.entries()) await store.insert(quotingDoc(id, ['alpha', 'beta'], { createdAtMs: 1_000 + i, deadlineMs: 50_000 + i }));
  await store.settleQuote(offer('settled', 'alpha', 100));
  await store.settleQuote(offer('completed', 'alpha', 200));
  await store.settleQuote({ ...offer('completed', 'beta', 0), status: 'declined', reason: 'отказ' });
  await store.completeIfSettled('completed', new Date().toISOString());
  await store.settleQuote(offer('expired', 'beta', 300));
  await store.expire('expired', new Date().toISOString());
  await store.remove('removed');
  await store.idempotency.insertIfAbsent({ id: 'key-kept', requestHash: 'h', response: { id: 'settled' }, createdAtMs: 1 });
  await store.idempotency.insertIfAbsent({ id: 'key-gone', requestHash: 'h', response: null, createdAtMs: 2 });
  await store.idempotency.remove('key-gone');
  return { ids, keys: ['key-kept', 'key-gone'] };
}

test('the state survives a close and a reopen', async () => {
  const dir = dataDir();
  const first = await openStore(dir);
  const { ids, keys } = await fill(first);
  const before = await everything(first, ids, keys);
  expect(before.docs.map((doc) => doc?.status)).toEqual(['quoting', 'completed', 'completed', 'quoting', undefined]);
  expect(before.keys[0]).toMatchObject({ id: 'key-kept' });
  await first.close();

  const second = await openStore(dir);
  expect(await everything(second, ids, keys)).toEqual(before);
});

test('a store never closed (the process killed) leaves every change it acknowledged on file', async () => {
  const dir = dataDir();
  const killed = await openStore(dir, KILLED);
  const { ids, keys } = await fill(killed);
  expect(await killed.settleQuote(offer('quoting', 'beta', 7))).toBeDefined();
  expect(records(dir).at(-1)).toMatchObject({ op: 'settle', id: 'quoting' }); // on file the moment it is acknowledged
  const before = await everything(killed, ids, keys);

  const restarted = await openStore(dir);
  expect(await everything(restarted, ids, keys)).toEqual(before);
});

test('an expiry record of an earlier version (it named the quotes it timed out) replays as it did', async () => {
  const dir = dataDir();
  const first = await openStore(dir);
  const doc = quotingDoc(crypto.randomUUID(), ['alpha', 'beta'], { deadlineMs: 5_000 });
  await first.insert(doc);
  await first.settleQuote(offer(doc.id, 'alpha', 100));
  await first.close();
  fs.appendFileSync(journalOf(dir), `${JSON.stringify({ op: 'expire', ids: [doc.id], codes: ['beta'], at: '2026-12-01T00:00:00.000Z' })}\n`);
  const found = await (await openStore(dir)).find(doc.id);
  expect([found?.status, found?.completedAt, found?.quotes.alpha.status, found?.quotes.beta.status]).toEqual(['completed', '2026-12-01T00:00:00.000Z', 'offer', 'timeout']);
});

test('a torn last line is skipped with a warning; a damaged line with records after it stops the start', async () => {
  const dir = dataDir();
  const first = await openStore(dir);
  const { ids, keys } = await fill(first);
  const before = await everything(first, ids, keys);
  await first.close();
  fs.appendFileSync(journalOf(dir), '{"op":"settle","id":"quoting","quote":{"applicationId":"quo');

  const warnings: string[] = [];
  const second = await openStore(dir, { warn: (message) => warnings.push(message) });
  expect(await everything(second, ids, keys)).toEqual(before);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('last line');
  expect(records(dir).length).toBeGreaterThan(0); // rewritten on connect: every line whole again
  await second.close();

  fs.appendFileSync(journalOf(dir), '{"op":"remove","id":"quo\n{"op":"remove","id":"quoting"}\n');
  await expect(createEmbeddedStore(dir, { warn: () => undefined }).connect()).rejects.toThrow(/not a JSON record, and not the last line/);
});

test('compaction keeps the state and shrinks the file, whether asked or as the journal grows', async () => {
  const dir = dataDir();
  const store = await openStore(dir);
  const { ids, keys } = await fill(store);
  for (let i = 0; i < 100; i++) {
    await store.insert(quotingDoc(`churn-${i}`, ['alpha']));
    await store.remove(`churn-${i}`);
    await store.idempotency.insertIfAbsent({ id: `churn-key-${i}`, requestHash: 'h', response: i, createdAtMs: i });
    await store.idempotency.remove(`churn-key-${i}`);
  }
  const before = await everything(store, ids, keys);
  const grown = journalBytes(dir);
  await store.compact();
  expect(journalBytes(dir)).toBeLessThan(grown / 10);
  expect(records(dir).map((r) => r.op).sort()).toEqual(['insert', 'insert', 'insert', 'insert', 'key']);
  expect(await everything(store, ids, keys)).toEqual(before);
  await store.close();
  expect(await everything(await openStore(dir), ids, keys)).toEqual(before);

  // with no slack, the journal is compacted whenever it doubles its last snapshot
  const small = dataDir();
  const growing = await openStore(small, { compactionSlackBytes: 0 });
  await growing.insert(quotingDoc('kept', ['alpha']));
  await growing.compact();
  const snapshot = journalBytes(small);
  for (let i = 0; i < 50; i++) {
    await growing.insert(quotingDoc(`churn-${i}`, ['alpha']));
    await growing.remove(`churn-${i}`);
  }
  expect(journalBytes(small)).toBeLessThan(4 * snapshot); // uncompacted: 100 records, some 50 snapshots' worth
  expect((await growing.find('kept'))?.quotes.alpha.status).toBe('pending');
});

test('compactions in the middle of changes lose none of them', async () => {
  const dir = dataDir();
  // a snapshot piece of one line: every change of the loop below lands while a snapshot is half written
  const store = await openStore(dir, { ...KILLED, snapshotChunkBytes: 1 });
  const codes = ['a', 'b', 'c', 'd'];
  const ids = Array.from({ length: 60 }, (_, i) => `busy-${i}`);
  for (const id of ids) await store.insert(quotingDoc(id, codes));
  let compactions = 0;
  let changing = true;
  const compacting = (async () => {
    for (; changing; compactions++) await store.compact();
  })();
  const work: Array<Promise<unknown>> = [];
  for (const [i, id] of ids.entries()) {
    for (const code of codes) work.push(store.settleQuote(offer(id, code, i)).then(() => store.completeIfSettled(id, new Date().toISOString())));
    if (i % 10 === 0) work.push(store.expireAll(ids.slice(i, i + 3), new Date().toISOString()));
    if (i % 7 === 0) work.push(store.remove(ids[i + 1]), store.insert(quotingDoc(`late-${i}`, codes)));
    // the same id removed and inserted again while snapshots run: the later insert must win on replay
    if (i % 9 === 0) work.push(store.remove(`late-${i - 9}`).then(() => store.insert(quotingDoc(`late-${i - 9}`, codes))));
    await new Promise((resolve) => setTimeout(resolve, 1)); // the changes spread over time, many while a snapshot is written
  }
  await Promise.all(work);
  changing = false;
  await compacting;
  expect(compactions).toBeGreaterThan(3);
  const all = [...ids, ...ids.map((_, i) => `late-${i}`)];
  const before = await everything(store, all);
  expect(before.docs.filter((doc) => doc?.status === 'completed').length).toBeGreaterThan(40);

  expect(await everything(await openStore(dir), all)).toEqual(before); // the first never closed: as a kill would leave it
});

test('the NeDB files are imported once, as NeDB read them, then renamed', async () => {
  const dir = dataDir();
  const settled = quotingDoc('nedb-settled', ['alpha', 'beta'], { createdAtMs: 2_000, deadlineMs: 10_000 });
  const completed = quotingDoc('nedb-completed', ['alpha'], { createdAtMs: 1_000 });
  const deleted = quotingDoc('nedb-deleted', ['alpha'], { createdAtMs: 3_000 });
  const stored = (doc: ApplicationDoc, extra: Record<string, unknown>) => {
    const { id, ...rest } = doc;
    return JSON.stringify({ ...rest, ...extra, _id: id });
  };
  const later = { ...settled, quotes: { ...settled.quotes, alpha: offer(settled.id, 'alpha', 4_200) } };
  const done: ApplicationDoc = { ...completed, status: 'completed', completedAt: '2026-01-01T00:00:00.000Z', quotes: { alpha: { ...completed.quotes.alpha, status: 'timeout', reason: 'поздно' } } };
  fs.writeFileSync(
    path.join(dir, 'applications.db'),
    [
      stored(settled, { pending: 2 }),
      '{"$$indexCreated":{"fieldName":"status","unique":false,"sparse":false}}',
      stored(completed, { pending: 1 }),
      stored(deleted, { pending: 1 }),
      '{"$$indexCreated":{"fieldName":"partner","unique":false,"sparse":false}}',
      stored(later, { pending: 1 }), // the last line for an _id wins
      stored(done, { pending: 0, expiredBy: '1b1e0c6e-token' }),
      '{"$$deleted":true,"_id":"nedb-deleted"}',
      '{"_id":"nedb-torn","token":"x","par', // a torn last line, as NeDB would skip it
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(dir, 'idempotency.db'),
    [
      '{"requestHash":"r1","response":{"id":"nedb-settled","token":"t"},"createdAtMs":17,"_id":"key-1"}',
      '{"requestHash":"r2","response":null,"createdAtMs":18,"_id":"key-2"}',
      '{"$$deleted":true,"_id":"key-2"}',
      '',
    ].join('\n'),
  );

  const store = await openStore(dir);
  expect(await store.find(settled.id)).toEqual(later);
  expect(await store.find(completed.id)).toEqual(done);
  expect(await store.find(deleted.id)).toBeUndefined();
  expect(await store.find('nedb-torn')).toBeUndefined();
  expect(await store.idempotency.find('key-1')).toEqual({ id: 'key-1', requestHash: 'r1', response: { id: 'nedb-settled', token: 't' }, createdAtMs: 17 });
  expect(await store.idempotency.find('key-2')).toBeUndefined();
  // the indexes are built from the import too
  expect(await store.due(10_000, 10)).toEqual([{ id: settled.id, deadlineMs: 10_000 }]);
  expect((await store.listByPartner('demo', 0, 10)).items.map((doc) => doc.id)).toEqual([settled.id, completed.id]);
  expect(await store.settleQuote(offer(settled.id, 'beta', 1))).toBeDefined();
  expect(await store.settleQuote(offer(settled.id, 'alpha', 1))).toBeUndefined();
  await store.close();

  expect(fs.readdirSync(dir).sort()).toEqual(['applications.db.imported', JOURNAL_FILE, 'idempotency.db.imported']);
  const reopened = await openStore(dir);
  expect((await reopened.find(settled.id))?.quotes.beta.status).toBe('offer');
  expect(await reopened.idempotency.find('key-1')).toMatchObject({ requestHash: 'r1' });
  await reopened.close();

  // NeDB files next to a journal are not imported over it
  fs.writeFileSync(path.join(dir, 'applications.db'), stored(deleted, { pending: 1 }));
  const warnings: string[] = [];
  const again = await openStore(dir, { warn: (message) => warnings.push(message) });
  expect(await again.find(deleted.id)).toBeUndefined();
  expect(warnings).toEqual([expect.stringContaining('left alone')]);
  expect(fs.existsSync(path.join(dir, 'applications.db'))).toBe(true);
});

test('a NeDB file with more than a tenth of it unreadable is not imported (NeDB refused it too), and stays where it was', async () => {
  const dir = dataDir();
  const good = quotingDoc('nedb-good', ['alpha']);
  const { id, ...rest } = good;
  const lines = [JSON.stringify({ ...rest, _id: id, pending: 1 }), ...Array.from({ length: 3 }, () => '\u00ff\u00fe{garbage'), '{"_id":"x"}'];
  fs.writeFileSync(path.join(dir, 'applications.db'), lines.join('\n'));
  await expect(openStore(dir)).rejects.toThrow(/3 of 5 lines are not JSON; not imported/);
  expect(fs.readdirSync(dir).sort()).toEqual(['applications.db']);
});

test('unknown or malformed ids are not found and write nothing', async () => {
  const dir = dataDir();
  const store = await openStore(dir);
  const real = quotingDoc('real', ['alpha']);
  await store.insert(real);
  const bytes = journalBytes(dir);
  for (const id of ['nope', '', 'x'.repeat(500), 'a\u0000b', '__proto__', 'constructor']) {
    expect(await store.find(id)).toBeUndefined();
    expect(await store.settleQuote(offer(id, 'alpha', 1))).toBeUndefined();
    expect(await store.completeIfSettled(id, new Date().toISOString())).toBeUndefined();
    expect(await store.expireAll([id, id], new Date().toISOString())).toEqual([{ timedOut: [] }, { timedOut: [] }]);
    await store.remove(id);
    expect(await store.idempotency.find(id)).toBeUndefined();
    await store.idempotency.remove(id);
  }
  for (const code of ['__proto__', 'toString', 'alpha.status']) expect(await store.settleQuote(offer('real', code, 1))).toBeUndefined();
  expect(journalBytes(dir)).toBe(bytes);
  expect(await store.find('real')).toEqual(real);
});

test('what the store hands out or is handed is a copy: changing it changes nothing stored', async () => {
  const store = await openStore(dataDir());
  const doc = quotingDoc('copies', ['alpha', 'beta']);
  await store.insert(doc);
  const original = structuredClone(doc);
  doc.application.vehicle.model = 'changed';
  const answer = offer('copies', 'alpha', 10);
  await store.settleQuote(answer);
  const kept = { ...structuredClone(answer), seq: 1 };
  answer.premium = 99;
  const found = await store.find('copies');
  if (!found) throw new Error('not found');
  found.quotes.beta.status = 'offer';
  found.application.vehicle.model = 'changed too';
  expect(await store.find('copies')).toEqual({ ...original, quotes: { ...original.quotes, alpha: kept } });
});

test('a burst of answers for one application: each quote changes once, the application completes once, once on file', async () => {
  const dir = dataDir();
  const store = await openStore(dir, KILLED);
  const codes = Array.from({ length: 10 }, (_, i) => `c${i}`);
  await store.insert(quotingDoc('burst', codes));
  const copies = 8; // every answer delivered eight times, in one tick
  const answers = codes.flatMap((code, c) => Array.from({ length: copies }, (_, n) => offer('burst', code, 1_000 * n + c)));
  const settled = await Promise.all(answers.map((answer) => store.settleQuote(answer)));
  const completions = await Promise.all(answers.map(() => store.completeIfSettled('burst', '2026-01-01T00:00:00.000Z')));

  const winners = settled.filter((quote) => quote !== undefined);
  expect(winners.map((answer) => answer.insurer.code)).toEqual(codes);
  expect(winners.map((answer) => answer.premium)).toEqual(codes.map((_, c) => c)); // the first delivery of each
  const completed = completions.filter((doc) => doc !== undefined);
  expect(completed).toHaveLength(1);
  expect(Object.values(completed[0]?.quotes ?? {})).toEqual(winners);
  expect(records(dir).map((r) => r.op)).toEqual(['insert', ...codes.map(() => 'settle'), 'complete']);
  expect(await (await openStore(dir)).find('burst')).toEqual(completed[0]);
});

test('after a write fails the store takes no more changes: memory never runs ahead of the file', async () => {
  const dir = dataDir();
  const store = await openStore(dir, KILLED);
  const codes = ['sever-shield', 'lastochka'];
  const kept = quotingDoc(crypto.randomUUID(), codes);
  expect(await store.insert(kept)).toBe(true);
  // the disk goes away under the journal (fault injection: its file handle is closed behind its back)
  const journal = (store as unknown as { journal: { handle: { close(): Promise<void> } } }).journal;
  await journal.handle.close();
  const lost = quotingDoc(crypto.randomUUID(), codes);
  await expect(store.insert(lost)).rejects.toThrow(/could not be written/);
  // every further change is refused before it touches memory: no 409 for what was never stored,
  // no answer taken as a duplicate
  const code = codes[0];
  await expect(store.settleQuote(offer(kept.id, code, 10_000))).rejects.toThrow(/could not be written/);
  await expect(store.insert(quotingDoc(crypto.randomUUID(), codes))).rejects.toThrow(/could not be written/);
  // the client retrying its create is told the store failed, not that its application exists
  await expect(store.insert(lost)).rejects.toThrow(/could not be written/);
  const reopened = await openStore(dir);
  expect((await reopened.find(kept.id))?.quotes[code].status).toBe('pending');
  expect(await reopened.find(lost.id)).toBeUndefined();
});

test('one owner per DATA_DIR: a second store is refused while the first holds it, a dead holder\'s lock is taken over', async () => {
  const dir = dataDir();
  const first = await openStore(dir);
  await expect(openStore(dir)).rejects.toThrow(/DATA_DIR .* is in use by another store of this process/);
  // another live process holding it (this test's parent stands for one)
  await first.close();
  fs.writeFileSync(path.join(dir, LOCK_FILE), String(process.ppid));
  await expect(openStore(dir)).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
  // a holder that died (a kill leaves its lock behind): taken over
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.writeFileSync(path.join(dir, LOCK_FILE), gone.stdout);
  const next = await openStore(dir);
  expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
  await next.close();
  expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
});
