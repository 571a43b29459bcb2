/**
 * The storage rules the lifecycle depends on, through the same DbAdapter calls the service makes.
 * Runs on the embedded NeDB store; set MONGO_URI to run the very same cases against MongoDB.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceBroker, type Service } from 'moleculer';
import type { DbAdapter } from 'moleculer-db';
import { closeExtraCollection, openExtraCollection } from '../../mixins/db.mixin';
import { findApplication, isDuplicateKeyError, markCompleted, settleQuote, type ApplicationDoc } from '../../services/applications/store';
import type { Quote } from '../../lib/quotes/types';
import { sampleApplication } from '../unit/fixtures/application';

const backend = process.env.MONGO_URI ? 'MongoDB' : 'embedded NeDB';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-storage-'));
const config = { mongoUri: process.env.MONGO_URI, dataDir };

let broker: ServiceBroker;
let adapter: DbAdapter;
const collection = `applications_test_${process.pid}_${Date.now()}`;

function doc(id: string, codes: string[]): ApplicationDoc {
  const now = Date.now();
  const quotes: Record<string, Quote> = {};
  for (const code of codes) quotes[code] = { applicationId: id, insurer: { code, name: code }, status: 'pending', at: new Date(now).toISOString() };
  return {
    _id: id,
    token: 't',
    partner: 'demo',
    status: 'quoting',
    createdAt: new Date(now).toISOString(),
    createdAtMs: now,
    deadline: new Date(now + 60_000).toISOString(),
    deadlineMs: now + 60_000,
    application: sampleApplication(),
    insurers: codes.map((code) => ({ code, name: code })),
    quotes,
    pending: codes.length,
  };
}

const offer = (id: string, code: string, premium: number): Quote => ({ applicationId: id, insurer: { code, name: code }, status: 'offer', premium, at: new Date().toISOString() });

beforeAll(async () => {
  broker = new ServiceBroker({ logger: false, skipProcessEventRegistration: true });
  const service = broker.createService({ name: 'storage-test' }) as Service;
  await broker.start();
  adapter = await openExtraCollection(config, collection, broker, service);
});

afterAll(async () => {
  await adapter.removeMany({} as never);
  await closeExtraCollection(adapter);
  await broker.stop();
});

describe(`storage on ${backend}`, () => {
  test('a quote settles once: a duplicate or a later answer for the same insurer changes nothing', async () => {
    await adapter.insert(doc('a1', ['alpha', 'beta']));
    expect(await settleQuote(adapter, offer('a1', 'alpha', 1000))).toBe(true);
    expect(await settleQuote(adapter, offer('a1', 'alpha', 1000))).toBe(false);
    expect(await settleQuote(adapter, { ...offer('a1', 'alpha', 0), status: 'timeout', reason: 'late' })).toBe(false);
    const stored = await findApplication(adapter, 'a1');
    expect(stored?.quotes.alpha).toMatchObject({ status: 'offer', premium: 1000 });
    expect(stored?.quotes.beta.status).toBe('pending');
  });

  test('insurer codes with hyphens work as nested keys', async () => {
    await adapter.insert(doc('a2', ['sever-shield', 'tri-kita']));
    expect(await settleQuote(adapter, offer('a2', 'tri-kita', 5000.5))).toBe(true);
    const stored = await findApplication(adapter, 'a2');
    expect(stored?.quotes['tri-kita'].premium).toBe(5000.5);
    expect(stored?.quotes['sever-shield'].status).toBe('pending');
  });

  test('each transition counts down `pending`; completion when settled waits for zero', async () => {
    await adapter.insert(doc('a6', ['alpha', 'beta']));
    expect(await settleQuote(adapter, offer('a6', 'alpha', 10))).toBe(true);
    expect(await settleQuote(adapter, offer('a6', 'alpha', 10))).toBe(false); // a duplicate does not count twice
    expect((await findApplication(adapter, 'a6'))?.pending).toBe(1);
    expect(await markCompleted(adapter, 'a6', new Date().toISOString(), true)).toBe(false);
    expect(await settleQuote(adapter, offer('a6', 'beta', 20))).toBe(true);
    expect((await findApplication(adapter, 'a6'))?.pending).toBe(0);
    const raced = await Promise.all(Array.from({ length: 5 }, () => markCompleted(adapter, 'a6', new Date().toISOString(), true)));
    expect(raced.filter(Boolean)).toHaveLength(1);
  });

  test('completion flips exactly once, even when raced', async () => {
    await adapter.insert(doc('a3', ['alpha']));
    const results = await Promise.all(Array.from({ length: 10 }, () => markCompleted(adapter, 'a3', new Date().toISOString())));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await findApplication(adapter, 'a3'))?.status).toBe('completed');
    // a completed application accepts no more quotes
    expect(await settleQuote(adapter, offer('a3', 'alpha', 1))).toBe(false);
  });

  test('concurrent answers for different insurers are all kept', async () => {
    const codes = Array.from({ length: 10 }, (_, i) => `i${i}`);
    await adapter.insert(doc('a4', codes));
    const settled = await Promise.all(codes.map((code, i) => settleQuote(adapter, offer('a4', code, 100 + i))));
    expect(settled.every(Boolean)).toBe(true);
    const stored = await findApplication(adapter, 'a4');
    expect(Object.values(stored?.quotes ?? {}).map((q) => q.status)).toEqual(codes.map(() => 'offer'));
    expect(stored?.pending).toBe(0);
  });

  test('a second document with the same id is refused as a duplicate key', async () => {
    await adapter.insert(doc('a5', ['alpha']));
    const err = await adapter.insert(doc('a5', ['alpha'])).then(() => undefined, (e: unknown) => e);
    expect(err).toBeDefined();
    expect(isDuplicateKeyError(err)).toBe(true);
  });

  test('unknown or malformed ids are simply not found', async () => {
    expect(await findApplication(adapter, 'nope')).toBeUndefined();
    expect(await findApplication(adapter, '')).toBeUndefined();
    expect(await findApplication(adapter, 'x'.repeat(500))).toBeUndefined();
  });

  test('list queries: newest first, paged, counted', async () => {
    for (let i = 0; i < 5; i++) await adapter.insert({ ...doc(`p${i}`, ['alpha']), partner: 'pager', createdAtMs: 1000 + i });
    const page = (await adapter.find({ query: { partner: 'pager' }, sort: ['-createdAtMs'], offset: 2, limit: 2 } as never)) as ApplicationDoc[];
    expect(page.map((d) => d._id)).toEqual(['p2', 'p1']);
    expect(await adapter.count({ query: { partner: 'pager' } } as never)).toBe(5);
  });
});
