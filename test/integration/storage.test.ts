/**
 * The store's rules that the lifecycle depends on, the same cases on every engine available
 * (storage-engines.ts): embedded NeDB and PostgreSQL always, MongoDB when MONGO_URI is set.
 */
import { timedOutQuote, TIMEOUT_REASON, type ApplicationStore } from '../../services/applications/stores/types';
import { availableEngines, offer, quotingDoc, uniqueId, type Engine } from './storage-engines';

describe.each(availableEngines())('storage on %s', (_name, start) => {
  let engine: Engine;
  let store: ApplicationStore;

  beforeAll(async () => {
    engine = await start();
    store = engine.store;
  });
  afterAll(async () => {
    await engine?.stop();
  });

  test('an application reads back as it was stored; a second insert with its id is refused', async () => {
    const id = uniqueId('stored');
    const doc = quotingDoc(id, ['alpha', 'beta']);
    expect(await store.insert(doc)).toBe(true);
    expect(await store.find(id)).toEqual(doc);
    expect(await store.insert(quotingDoc(id, ['gamma']))).toBe(false);
    expect(await store.find(id)).toEqual(doc);
  });

  test('text the JSON encoders escape (a NUL, quotes, emoji) survives the round trip', async () => {
    const id = uniqueId('odd-text');
    const doc = quotingDoc(id, ['alpha']);
    doc.application.vehicle.model = 'Gr\u0000anta "Cross" 🚗 \\ ё';
    await store.insert(doc);
    expect((await store.find(id))?.application.vehicle.model).toBe(doc.application.vehicle.model);
    const reason = 'от\u0000каз "по правилам" \\';
    expect(await store.settleQuote({ ...offer(id, 'alpha', 0), status: 'declined', reason })).toBeDefined();
    expect((await store.find(id))?.quotes.alpha.reason).toBe(reason);
  });

  test('a quote settles once: a duplicate, another answer for the same insurer or a pending "answer" changes nothing', async () => {
    const id = uniqueId('settle');
    await store.insert(quotingDoc(id, ['alpha', 'beta']));
    expect(await store.settleQuote(offer(id, 'alpha', 1000))).toBeDefined();
    expect(await store.settleQuote(offer(id, 'alpha', 1000))).toBeUndefined();
    expect(await store.settleQuote({ ...offer(id, 'alpha', 0), status: 'declined', reason: 'поздно' })).toBeUndefined();
    expect(await store.settleQuote({ ...offer(id, 'beta', 0), status: 'pending' })).toBeUndefined();
    expect(await store.settleQuote(offer(id, 'no-such-insurer', 1))).toBeUndefined();
    const stored = await store.find(id);
    expect(stored?.quotes.alpha).toMatchObject({ status: 'offer', premium: 1000 });
    expect(stored?.quotes.beta.status).toBe('pending');
    expect(Object.keys(stored?.quotes ?? {}).sort()).toEqual(['alpha', 'beta']);
  });

  test('insurer codes with hyphens are separate quotes', async () => {
    const id = uniqueId('hyphens');
    await store.insert(quotingDoc(id, ['sever-shield', 'tri-kita']));
    expect(await store.settleQuote(offer(id, 'tri-kita', 5000.5))).toBeDefined();
    const stored = await store.find(id);
    expect(stored?.quotes['tri-kita'].premium).toBe(5000.5);
    expect(stored?.quotes['sever-shield'].status).toBe('pending');
  });

  test('concurrent answers for different insurers are all kept', async () => {
    const id = uniqueId('parallel');
    const codes = Array.from({ length: 10 }, (_, i) => `i${i}`);
    await store.insert(quotingDoc(id, codes));
    const settled = await Promise.all(codes.map((code, i) => (i % 2 ? engine.peer : store).settleQuote(offer(id, code, 100 + i))));
    expect(settled.every((quote) => quote !== undefined)).toBe(true);
    // numbered once each, 1…n, whichever store instance took the answer
    expect(settled.map((quote) => quote?.seq).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(codes.map((_, n) => n + 1));
    const stored = await store.find(id);
    expect(codes.map((code) => stored?.quotes[code].premium)).toEqual(codes.map((_, i) => 100 + i));
  });

  test('completeIfSettled waits until nothing is pending, answers the completed application once, and closes it to answers', async () => {
    const id = uniqueId('complete');
    await store.insert(quotingDoc(id, ['alpha', 'beta']));
    await store.settleQuote(offer(id, 'alpha', 10));
    expect(await store.completeIfSettled(id, new Date().toISOString())).toBeUndefined();
    expect((await store.find(id))?.status).toBe('quoting');

    await store.settleQuote({ ...offer(id, 'beta', 0), status: 'declined', reason: 'отказ' });
    const completedAt = new Date().toISOString();
    const raced = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? engine.peer : store).completeIfSettled(id, completedAt)));
    const winners = raced.filter((doc) => doc !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ id, status: 'completed', completedAt });
    expect(winners[0]?.quotes.alpha).toMatchObject({ status: 'offer', premium: 10 });
    expect(winners[0]?.quotes.beta).toMatchObject({ status: 'declined' });
    expect(await store.find(id)).toEqual(winners[0]);

    expect(await store.completeIfSettled(id, completedAt)).toBeUndefined();
    expect(await store.expire(id, completedAt)).toEqual({ timedOut: [] });
  });

  test('expire turns what is pending into timeout and completes; the answers that came first are kept', async () => {
    const id = uniqueId('expire');
    const doc = quotingDoc(id, ['alpha', 'beta', 'gamma']);
    await store.insert(doc);
    await store.settleQuote(offer(id, 'alpha', 700));
    const at = new Date().toISOString();
    const expired = await store.expire(id, at);
    expect(expired.timedOut.sort((a, b) => a.insurer.code.localeCompare(b.insurer.code))).toEqual([
      timedOutQuote(doc.quotes.beta, at, 2),
      timedOutQuote(doc.quotes.gamma, at, 3),
    ]);
    expect(expired.timedOut[0]).toMatchObject({ status: 'timeout', reason: TIMEOUT_REASON, at });
    expect(expired.completed).toMatchObject({ id, status: 'completed', completedAt: at });
    expect(expired.completed?.quotes.alpha).toMatchObject({ status: 'offer', premium: 700 });
    expect(expired.completed?.quotes.beta).toEqual(timedOutQuote(doc.quotes.beta, at, 2));
    expect(expired.completed?.quotes.alpha.seq).toBe(1);
    expect(await store.find(id)).toEqual(expired.completed);

    // too late for everything
    expect(await store.settleQuote(offer(id, 'beta', 1))).toBeUndefined();
    expect(await store.expire(id, at)).toEqual({ timedOut: [] });
    expect(await store.completeIfSettled(id, at)).toBeUndefined();
  });

  test('expire raced with itself: one call completes, each pending quote times out once', async () => {
    const id = uniqueId('expire-race');
    const codes = ['a', 'b', 'c', 'd', 'e', 'f'];
    await store.insert(quotingDoc(id, codes));
    const at = new Date().toISOString();
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? engine.peer : store).expire(id, at)));
    expect(results.filter((r) => r.completed)).toHaveLength(1);
    expect(results.flatMap((r) => r.timedOut.map((q) => q.insurer.code)).sort()).toEqual(codes);
  });

  test('expireAll: many at once, each as expire would, in the order asked; what is not quoting is left alone', async () => {
    const at = new Date().toISOString();
    const ids = Array.from({ length: 40 }, (_, i) => uniqueId(`expire-all-${i}`));
    // three different pending sets among them, one with nothing pending, one already completed
    for (const id of ids) await store.insert(quotingDoc(id, ['alpha', 'beta', 'gamma']));
    for (const [i, id] of ids.entries()) if (i % 3 === 1) await store.settleQuote(offer(id, 'alpha', 100 + i));
    for (const [i, id] of ids.entries()) if (i % 3 === 2) await store.settleQuote({ ...offer(id, 'gamma', 0), status: 'declined', reason: 'отказ' });
    for (const code of ['alpha', 'beta', 'gamma']) await store.settleQuote({ ...offer(ids[0], code, 0), status: 'declined', reason: 'отказ' });
    await store.expire(ids[3], at);
    const unknown = uniqueId('expire-all-unknown');

    const asked = [unknown, ...ids, ids[5], 'not an id\u0000'];
    const results = await store.expireAll(asked, at);
    expect(results).toHaveLength(asked.length);
    expect(results[0]).toEqual({ timedOut: [] });
    expect(results[asked.length - 1]).toEqual({ timedOut: [] });
    for (const [i, id] of ids.entries()) {
      const result = results[i + 1];
      if (i === 3) {
        expect(result).toEqual({ timedOut: [] });
        continue;
      }
      const settled = i === 0 ? ['alpha', 'beta', 'gamma'] : i % 3 === 1 ? ['alpha'] : i % 3 === 2 ? ['gamma'] : [];
      const timedOutCodes = ['alpha', 'beta', 'gamma'].filter((code) => !settled.includes(code));
      expect({ id, timedOut: result.timedOut.map((q) => q.insurer.code).sort() }).toEqual({ id, timedOut: timedOutCodes });
      for (const quote of result.timedOut) expect(quote).toEqual(timedOutQuote(quotingDoc(id, [quote.insurer.code]).quotes[quote.insurer.code], at, quote.seq ?? 0));
      const seqs = Object.values(result.completed?.quotes ?? {}).map((q) => q.seq).sort();
      expect(seqs).toEqual([1, 2, 3]);
      expect(result.completed).toMatchObject({ id, status: 'completed', completedAt: at });
      expect(await store.find(id)).toEqual(result.completed);
    }
    // an id asked twice is expired once
    expect(results[asked.length - 2]).toEqual(results[6]);
    expect(await store.expireAll(ids, at)).toEqual(ids.map(() => ({ timedOut: [] })));
  });

  test('expireAll raced with itself and with answers: each application completes once, each quote settles or times out once', async () => {
    const codes = ['a', 'b', 'c'];
    const ids = Array.from({ length: 30 }, (_, i) => uniqueId(`expire-all-race-${i}`));
    for (const id of ids) await store.insert(quotingDoc(id, codes));
    const at = new Date().toISOString();
    const [first, second, answers] = await Promise.all([
      store.expireAll(ids, at),
      engine.peer.expireAll([...ids].reverse(), at),
      Promise.all(ids.map((id, i) => (i % 2 ? engine.peer : store).settleQuote(offer(id, 'b', 500 + i)))),
    ]);
    for (const [i, id] of ids.entries()) {
      const mine = first[i];
      const theirs = second[ids.length - 1 - i];
      expect({ id, completions: [mine, theirs].filter((r) => r.completed).length }).toEqual({ id, completions: 1 });
      const timedOut = [...mine.timedOut, ...theirs.timedOut].map((q) => q.insurer.code).sort();
      expect({ id, timedOut }).toEqual({ id, timedOut: answers[i] ? ['a', 'c'] : codes });
      const stored = await store.find(id);
      expect(stored?.quotes.b.status).toBe(answers[i] ? 'offer' : 'timeout');
      expect(stored).toEqual(mine.completed ?? theirs.completed);
    }
  });

  test('an application with nothing pending expires without timeouts', async () => {
    const id = uniqueId('expire-settled');
    await store.insert(quotingDoc(id, ['alpha']));
    await store.settleQuote(offer(id, 'alpha', 1));
    const expired = await store.expire(id, new Date().toISOString());
    expect(expired.timedOut).toEqual([]);
    expect(expired.completed?.status).toBe('completed');
  });

  test('due: quoting applications with their deadline at or before `untilMs`, earliest first, at most `limit`', async () => {
    // deadlines in 1970, so that no other case's application is due at this `now`
    const ids = ['d3', 'd1', 'd2', 'future', 'done'].map(uniqueId);
    const [d3, d1, d2, future, done] = ids;
    await store.insert(quotingDoc(d3, ['alpha'], { deadlineMs: 3_000 }));
    await store.insert(quotingDoc(d1, ['alpha'], { deadlineMs: 1_000 }));
    await store.insert(quotingDoc(d2, ['alpha'], { deadlineMs: 2_000 }));
    await store.insert(quotingDoc(future, ['alpha'], { deadlineMs: 9_000 }));
    await store.insert(quotingDoc(done, ['alpha'], { deadlineMs: 500 }));
    await store.expire(done, new Date().toISOString());

    expect(await store.due(3_000, 10)).toEqual([{ id: d1, deadlineMs: 1_000 }, { id: d2, deadlineMs: 2_000 }, { id: d3, deadlineMs: 3_000 }]);
    expect((await store.due(3_000, 2)).map((d) => d.id)).toEqual([d1, d2]);
    expect(await store.due(999, 10)).toEqual([]);
    for (const id of [d1, d2, d3, future]) await store.expire(id, new Date().toISOString());
  });

  test('open: quoting applications whose deadline is still ahead, with their quotes', async () => {
    const [ahead, passed, done] = ['ahead', 'passed', 'done'].map(uniqueId);
    const now = Date.now();
    await store.insert(quotingDoc(ahead, ['alpha', 'beta'], { deadlineMs: now + 30_000 }));
    await store.insert(quotingDoc(passed, ['alpha'], { deadlineMs: now - 1 }));
    await store.insert(quotingDoc(done, ['alpha'], { deadlineMs: now + 30_000 }));
    await store.settleQuote(offer(ahead, 'alpha', 5));
    await store.settleQuote(offer(done, 'alpha', 5));
    await store.completeIfSettled(done, new Date().toISOString());

    const open = await store.open(now);
    const ours = open.filter((doc) => [ahead, passed, done].includes(doc.id));
    expect(ours.map((doc) => doc.id)).toEqual([ahead]);
    expect(ours[0].quotes.alpha.status).toBe('offer');
    expect(ours[0].quotes.beta.status).toBe('pending');
    await store.expire(passed, new Date().toISOString());
  });

  test('listByPartner: newest first (ties by id), paged, counted, other partners left out', async () => {
    const partner = uniqueId('pager');
    const ids = Array.from({ length: 5 }, (_, i) => `${partner}-p${i}`);
    for (const [i, id] of ids.entries()) await store.insert(quotingDoc(id, ['alpha'], { partner, createdAtMs: 1000 + i }));
    const tie = `${partner}-p9`;
    await store.insert(quotingDoc(tie, ['alpha'], { partner, createdAtMs: 1004 }));
    await store.insert(quotingDoc(uniqueId('other'), ['alpha'], { partner: `${partner}-other`, createdAtMs: 5000 }));
    await store.insert(quotingDoc(uniqueId('web'), ['alpha'], { partner: null, createdAtMs: 5000 }));

    const first = await store.listByPartner(partner, 0, 2);
    expect(first.items.map((d) => d.id)).toEqual([tie, ids[4]]);
    expect(first.total).toBe(6);
    const middle = await store.listByPartner(partner, 2, 2);
    expect(middle.items.map((d) => d.id)).toEqual([ids[3], ids[2]]);
    expect(middle.items[0].quotes.alpha.status).toBe('pending');
    expect((await store.listByPartner(partner, 4, 10)).items.map((d) => d.id)).toEqual([ids[1], ids[0]]);
    expect(await store.listByPartner(partner, 10, 10)).toEqual({ items: [], total: 6 });
    expect(await store.listByPartner(uniqueId('nobody'), 0, 10)).toEqual({ items: [], total: 0 });
  });

  test('remove drops the application and its quotes', async () => {
    const id = uniqueId('removed');
    await store.insert(quotingDoc(id, ['alpha']));
    await store.remove(id);
    expect(await store.find(id)).toBeUndefined();
    expect(await store.settleQuote(offer(id, 'alpha', 1))).toBeUndefined();
    expect(await store.insert(quotingDoc(id, ['alpha']))).toBe(true);
  });

  test('idempotency records: find, insert if absent, the holder answered on a second insert, remove', async () => {
    const id = uniqueId('key');
    expect(await store.idempotency.find(id)).toBeUndefined();
    const record = { id, requestHash: 'h1', response: { id: 'app-1', insurers: [{ code: 'a' }] }, createdAtMs: 1234 };
    expect(await store.idempotency.insertIfAbsent(record)).toBeUndefined();
    expect(await store.idempotency.find(id)).toEqual(record);
    expect(await store.idempotency.insertIfAbsent({ ...record, requestHash: 'h2', response: 'other' })).toEqual(record);
    await store.idempotency.remove(id);
    expect(await store.idempotency.find(id)).toBeUndefined();
    expect(await store.idempotency.insertIfAbsent({ ...record, requestHash: 'h3' })).toBeUndefined();
  });

  test('idempotency race: of many concurrent inserts with one key, on both stores, exactly one wins and all see it', async () => {
    const id = uniqueId('key-race');
    const attempts = Array.from({ length: 30 }, (_, i) => ({ id, requestHash: `h${i}`, response: { n: i }, createdAtMs: i }));
    const answers = await Promise.all(attempts.map((record, i) => (i % 2 ? engine.peer : store).idempotency.insertIfAbsent(record)));
    const winners = attempts.filter((_, i) => answers[i] === undefined);
    expect(winners).toHaveLength(1);
    expect(answers.filter((a) => a !== undefined)).toEqual(Array.from({ length: 29 }, () => winners[0]));
    expect(await store.idempotency.find(id)).toEqual(winners[0]);
  });

  test('unknown or malformed ids are simply not found, never an error', async () => {
    for (const id of ['nope', '', 'x'.repeat(500), 'a\u0000b', '../../etc', "'; DROP TABLE applications; --"]) {
      expect(await store.find(id)).toBeUndefined();
      expect(await store.settleQuote(offer(id, 'alpha', 1))).toBeUndefined();
      expect(await store.completeIfSettled(id, new Date().toISOString())).toBeUndefined();
      expect(await store.expire(id, new Date().toISOString())).toEqual({ timedOut: [] });
      await expect(store.remove(id)).resolves.toBeUndefined();
      expect(await store.idempotency.find(id)).toBeUndefined();
      await expect(store.idempotency.remove(id)).resolves.toBeUndefined();
    }
    const id = uniqueId('odd-code');
    await store.insert(quotingDoc(id, ['alpha']));
    expect(await store.settleQuote(offer(id, 'alpha.status', 1))).toBeUndefined();
    expect(await store.settleQuote(offer(id, '$where', 1))).toBeUndefined();
    expect((await store.find(id))?.quotes.alpha.status).toBe('pending');
  });
});
