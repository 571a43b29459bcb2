/**
 * Retention on an injected clock, over every engine behind the sealing decorator: personal data is
 * erased RETENTION_DAYS after completion and not before, the priced history stays, an erased
 * application still reads, and runs on two stores at once erase each application once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDataKey, Keyring } from '../../lib/personal-data/keyring';
import { createEmbeddedStore, JOURNAL_FILE } from '../../services/applications/stores/embedded';
import { SealedApplicationStore } from '../../services/applications/stores/sealed';
import { RetentionJob } from '../../services/applications/retention';
import type { ApplicationDoc } from '../../services/applications/stores/types';
import { availableEngines, offer, quotingDoc, uniqueId, type Engine } from './storage-engines';
import { distinctivePersonalApplication, findIn, personalValues } from '../support/personal';
import { ServiceBroker, type Service } from 'moleculer';
import { MemoryAdapter } from 'moleculer-db';
import { DocumentStore, type DocumentCollections } from '../../services/applications/stores/documents';

/** The document engine (MongoDB's queries) over moleculer-db's in-memory NeDB adapter: no MongoDB server runs here. */
async function nedbDocuments(): Promise<Engine> {
  const broker = new ServiceBroker({ logger: false });
  const host = broker.createService({ name: 'nedb-host' }) as Service;
  await broker.start();
  const applications = new MemoryAdapter();
  const idempotency = new MemoryAdapter();
  for (const adapter of [applications, idempotency]) adapter.init(broker, host);
  const collections: DocumentCollections = {
    applications,
    idempotency,
    open: async () => void (await Promise.all([applications.connect(), idempotency.connect()])),
    close: async () => void (await Promise.all([applications.disconnect(), idempotency.disconnect()])),
    isDuplicateKey: (err) => typeof err === 'object' && err !== null && 'errorType' in err && err.errorType === 'uniqueViolated',
  };
  const store = new DocumentStore(collections);
  await store.connect();
  return { store, peer: store, stop: async () => { await store.close(); await broker.stop(); } };
}

const DAY_MS = 24 * 3600_000;
const keyring = new Keyring(generateDataKey());
const settings = { retentionDays: 30, retentionIntervalMs: 3_600_000, retentionBatch: 2 };

describe.each([...availableEngines(), ['documents over NeDB', nedbDocuments] as [string, () => Promise<Engine>]])('retention on the %s store', (_name, start) => {
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
      expect(await store.settleQuote(offer(id, 'alfa', 8421.37))).toBeDefined();
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

test('embedded: the sealed part leaves the journal file too, and an erasure survives a restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-retention-'));
  const open = async () => {
    const store = new SealedApplicationStore(createEmbeddedStore(dir), keyring);
    await store.connect();
    return store;
  };
  const store = await open();
  const id = uniqueId('journal');
  await store.insert(quotingDoc(id, ['alfa'], { application: distinctivePersonalApplication(0) }));
  await store.settleQuote(offer(id, 'alfa', 9000));
  await store.completeIfSettled(id, '2031-01-01T00:00:00.000Z');
  const journal = path.join(dir, JOURNAL_FILE);
  expect(fs.readFileSync(journal, 'utf8')).toContain('"sealed":"pd1.');
  expect(await store.erasePersonal('2031-01-02T00:00:00.000Z', '2031-01-02T00:00:00.000Z', 10)).toBe(1);
  await store.close();
  expect(fs.readFileSync(journal, 'utf8')).not.toContain('pd1.');
  const again = await open();
  try {
    const doc = await again.find(id);
    expect(doc?.application.personal).toEqual({ erasedAt: '2031-01-02T00:00:00.000Z' });
    expect(doc?.quotes.alfa).toMatchObject({ status: 'offer', premium: 9000 });
  } finally {
    await again.close();
  }
});
