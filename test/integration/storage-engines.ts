/**
 * The store engines the storage suites run against, and what they build on: the embedded journal and
 * PostgreSQL always (a database of their own on the machine's server, dropped afterwards), MongoDB
 * when MONGO_URI is set. Each engine can open a second store on the same data, as a second
 * `applications` node would (the embedded store has one owner: there it is the same store).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { ServiceBroker, type Service } from 'moleculer';
import { createEmbeddedStore } from '../../services/applications/stores/embedded';
import { createMongoStore } from '../../services/applications/stores/mongo';
import { PostgresStore } from '../../services/applications/stores/postgres';
import type { ApplicationDoc, ApplicationStore } from '../../services/applications/stores/types';
import type { Quote } from '../../lib/quotes/types';
import { sampleApplication } from '../unit/fixtures/application';

/** The machine's PostgreSQL (trust auth); CI has the same. */
export const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432';

export interface TestDatabase {
  name: string;
  url: string;
  /** A plain connection to the database, for looking at rows directly. */
  sql: postgres.Sql;
  drop(): Promise<void>;
}

/** A fresh database `osago_test_<random>`, created from the `postgres` database; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `osago_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = postgres(`${POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = `${POSTGRES_SERVER}/${name}`;
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end({ timeout: 5 });
    },
  };
}

export interface Engine {
  /** The store the cases use, connected. */
  store: ApplicationStore;
  /** Another store on the same data, connected (the same store where the engine has one owner). */
  peer: ApplicationStore;
  stop(): Promise<void>;
}

type EngineStarter = () => Promise<Engine>;

async function embedded(): Promise<Engine> {
  const store = createEmbeddedStore(fs.mkdtempSync(path.join(os.tmpdir(), 'osago-storage-')));
  await store.connect();
  return { store, peer: store, stop: () => store.close() };
}

async function postgresql(): Promise<Engine> {
  const database = await createTestDatabase();
  const store = new PostgresStore(database.url);
  const peer = new PostgresStore(database.url);
  await Promise.all([store.connect(), peer.connect()]);
  return {
    store,
    peer,
    async stop() {
      await Promise.all([store.close(), peer.close()]);
      await database.drop();
    },
  };
}

async function mongodb(uri: string): Promise<Engine> {
  const broker = new ServiceBroker({ logger: false, skipProcessEventRegistration: true });
  const host = broker.createService({ name: 'storage-test' }) as Service;
  await broker.start();
  // a database of this run's own; MongoDB creates it on first write (left on the server afterwards)
  const dbName = `osago_test_${crypto.randomBytes(6).toString('hex')}`;
  const store = createMongoStore({ uri, dbName }, host);
  const peer = createMongoStore({ uri, dbName }, host);
  await Promise.all([store.connect(), peer.connect()]);
  return {
    store,
    peer,
    async stop() {
      await Promise.all([store.close(), peer.close()]);
      await broker.stop();
    },
  };
}

/** Every engine available here: `[name, start]` rows for describe.each. */
export function availableEngines(): Array<[string, EngineStarter]> {
  const engines: Array<[string, EngineStarter]> = [
    ['embedded journal', embedded],
    ['PostgreSQL', postgresql],
  ];
  const mongoUri = process.env.MONGO_URI;
  if (mongoUri) engines.push(['MongoDB', () => mongodb(mongoUri)]);
  return engines;
}

/** A quoting application with every listed insurer pending. */
export function quotingDoc(id: string, codes: readonly string[], overrides: Partial<ApplicationDoc> = {}): ApplicationDoc {
  const now = Date.now();
  const at = new Date(now).toISOString();
  const quotes: Record<string, Quote> = {};
  for (const code of codes) quotes[code] = { applicationId: id, insurer: { code, name: `Страховая ${code}` }, status: 'pending', at };
  return {
    id,
    token: crypto.randomBytes(24).toString('base64url'),
    partner: 'demo',
    status: 'quoting',
    createdAt: at,
    createdAtMs: now,
    deadline: new Date(now + 60_000).toISOString(),
    deadlineMs: now + 60_000,
    application: sampleApplication(),
    insurers: codes.map((code) => ({ code, name: `Страховая ${code}` })),
    quotes,
    ...overrides,
  };
}

export function offer(id: string, code: string, premium: number): Quote {
  return { applicationId: id, insurer: { code, name: `Страховая ${code}` }, status: 'offer', premium, at: new Date().toISOString() };
}

/** Ids unique to one run, so engines that keep data (MongoDB) and cases that share a store never collide. */
export function uniqueId(label: string): string {
  return `${label}-${crypto.randomUUID()}`;
}
