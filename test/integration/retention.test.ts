/**
 * Retention on an injected clock, over every engine behind the sealing decorator: personal data is
 * erased RETENTION_DAYS after completion and not before, the priced history stays, an erased
 * application still reads, and runs on two stores at once erase each application once.
 */
import { generateDataKey, Keyring } from '../../lib/personal-data/keyring';
import { SealedApplicationStore } from '../../services/applications/stores/sealed';
import { RetentionJob } from '../../services/applications/retention';
import type { ApplicationDoc } from '../../services/applications/stores/types';
import { availableEngines, offer, quotingDoc, uniqueId, type Engine } from './storage-engines';
import { distinctivePersonalApplication, findIn, personalValues } from '../support/personal';

const DAY_MS = 24 * 3600_000;
const keyring = new Keyring(generateDataKey());
const settings = { retentionDays: 30, retentionIntervalMs: 3_600_000, retentionBatch: 2 };

describe.each(availableEngines())('retention on the %s store', (_name, start) => {
  let engine: Engine;
  let store: SealedApplicationStore;
  let peer: SealedApplicationStore;

  beforeAll(async () => {
    engine = await start();
    store = new SealedApplicationStore(engine.store, keyring);
    peer = new SealedApplicationStore(engine.peer, keyring);
  });
  afterAll(() => engine?.stop());

  /** `count` applications with an offer each, completed at `completedAt`. */
  async function completed(count: number, completedAt: string): Promise<ApplicationDoc[]> {
    const docs: ApplicationDoc[] = [];
    for (let n = 0; n < count; n++) {
      const id = uniqueId('retention');
      expect(await store.insert(quotingDoc(id, ['alfa'], { application: distinctivePersonalApplication(n) }))).toBe(true);
      expect(await store.settleQuote(offer(id, 'alfa', 8421.37))).toBe(true);
      const done = await store.completeIfSettled(id, completedAt);
      expect(done?.application.owner).toMatchObject({ lastName: distinctivePersonalApplication(n).owner.lastName });
      docs.push(done as ApplicationDoc);
    }
    return docs;
  }

  test('erased after the days, not before; the history and the vehicle stay; it still reads', async () => {
    const completedAtMs = Date.parse('2031-01-10T12:00:00.000Z');
    const docs = await completed(3, new Date(completedAtMs).toISOString());
    let now = completedAtMs + 30 * DAY_MS - 1;
    const job = new RetentionJob(store, settings, (err) => { throw err; }, () => now);

    await job.run();
    for (const doc of docs) expect((await store.find(doc.id))?.application.owner).toHaveProperty('lastName');

    now += 1;
    const run = await job.run();
    expect(run.erased).toBe(3);
    for (const doc of docs) {
      const erased = await store.find(doc.id);
      expect(erased?.application.personal).toEqual({ erasedAt: new Date(now).toISOString() });
      expect(erased?.application.owner).not.toHaveProperty('lastName');
      expect(erased?.application.vehicle).toEqual(doc.application.vehicle);
      expect(erased?.quotes.alfa).toMatchObject({ status: 'offer', premium: 8421.37 });
      expect(erased?.status).toBe('completed');
      const raw = await engine.store.find(doc.id);
      expect(findIn(JSON.stringify(raw), personalValues(distinctivePersonalApplication(0)))).toEqual([]);
      expect(JSON.stringify(raw)).not.toContain('"sealed"');
    }
    expect((await job.run()).erased).toBe(0); // nothing twice
  });

  test('RETENTION_DAYS=0 erases at completion; a quoting application is never touched', async () => {
    const at = '2031-03-01T08:00:00.000Z';
    const [doc] = await completed(1, at);
    const quotingId = uniqueId('quoting');
    await store.insert(quotingDoc(quotingId, ['alfa'], { application: distinctivePersonalApplication(0) }));
    await new RetentionJob(store, { ...settings, retentionDays: 0 }, () => undefined, () => Date.parse(at)).run();
    expect((await store.find(doc.id))?.application.personal).toHaveProperty('erasedAt');
    expect((await store.find(quotingId))?.application.owner).toHaveProperty('lastName');
  });

  test('two runs at once (two nodes) erase each application once', async () => {
    const at = '2031-05-01T08:00:00.000Z';
    const docs = await completed(6, at);
    const clock = () => Date.parse(at) + 31 * DAY_MS;
    const runs = await Promise.all([
      new RetentionJob(store, settings, () => undefined, clock).run(),
      new RetentionJob(peer, settings, () => undefined, clock).run(),
    ]);
    const erasedNow = runs[0].erased + runs[1].erased;
    expect(erasedNow).toBe(docs.length); // the earlier cases left nothing else erasable: a double erasure would count twice
    for (const doc of docs) expect((await store.find(doc.id))?.application.personal).toHaveProperty('erasedAt');
    expect((await new RetentionJob(peer, settings, () => undefined, clock).run()).erased).toBe(0);
  });
});
