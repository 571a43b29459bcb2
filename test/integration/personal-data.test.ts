/**
 * Personal data through the real system (broker, HTTP, the embedded store and PostgreSQL): nothing
 * personal is stored or logged in clear, what is sealed opens again, and a partner reading another
 * partner's application gets a 404 and leaves an audit entry naming it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createEmbeddedStore } from '../../services/applications/stores/embedded';
import { SealedApplicationStore } from '../../services/applications/stores/sealed';
import { keyringFor } from '../../lib/personal-data/key-file';
import { GENERATED_KEY_FILE } from '../../lib/personal-data/key-file';
import type { AuditEntry } from '../../services/audit/types';
import { api, eventually, startSystem, waitCompleted, type RunningSystem } from '../support/system';
import { distinctivePersonalApplication, findIn, personalValues, scanFiles } from '../support/personal';
import { createTestDatabase } from './storage-engines';
import { connectClient, emitAck } from '../support/sockets';

jest.setTimeout(60_000);

const RIVAL_KEY = 'rival-key';
const PARTNERS = { PARTNER_KEYS: `demo:demo-key,rival:${RIVAL_KEY}` };

async function createSome(system: RunningSystem, count: number): Promise<{ ids: string[]; values: string[] }> {
  const ids: string[] = [];
  const values: string[] = [];
  for (let n = 0; n < count; n++) {
    const application = distinctivePersonalApplication(n);
    const created = await api(system, 'POST', '/api/v1/applications', application);
    expect(created.status).toBe(202);
    ids.push(created.json.id);
    values.push(...personalValues(application));
  }
  for (const id of ids) await waitCompleted(system, id);
  return { ids, values: [...new Set(values)] };
}

describe('on the embedded store', () => {
  let system: RunningSystem;
  let created: { ids: string[]; values: string[] };
  const logged: string[] = [];
  const spies: jest.SpyInstance[] = [];

  beforeAll(async () => {
    for (const method of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      spies.push(jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))));
    }
    system = await startSystem({ env: { ...PARTNERS, LOG_LEVEL: 'debug', QUOTE_DEADLINE_MS: '3000' } });
    created = await createSome(system, 2);
  });
  afterAll(async () => {
    await system?.stop();
    for (const spy of spies) spy.mockRestore();
  });

  test('the broker logged the requests at debug, with no personal value in clear', () => {
    const text = logged.join('\n');
    // the scan can fail: the requests' params were logged (their VIN is not personal)
    expect(text).toContain('Params:');
    expect(text).toContain('XTA219010K0123456');
    expect(findIn(text, created.values)).toEqual([]);
  });

  test('answers carry no personal value; GET and the list answer as before', async () => {
    const one = await api(system, 'GET', `/api/v1/applications/${created.ids[0]}`);
    const list = await api(system, 'GET', '/api/v1/applications');
    expect(one.status).toBe(200);
    expect(list.json.items.map((item: { id: string }) => item.id)).toEqual(expect.arrayContaining(created.ids));
    expect(findIn(one.text + list.text, created.values)).toEqual([]);
  });

  test("a partner reading another partner's application gets 404, and the audit names it", async () => {
    const [id] = created.ids;
    const stolen = await api(system, 'GET', `/api/v1/applications/${id}`, undefined, { key: RIVAL_KEY });
    expect(stolen.status).toBe(404);
    const entries = await eventually(async () => {
      const found = await system.broker.call<AuditEntry[], object>('audit.query', { applicationId: id });
      return found.some((e) => e.actor === 'partner:rival') ? found : undefined;
    });
    expect(entries.find((e) => e.actor === 'partner:rival')).toMatchObject({ action: 'read', outcome: 'not-found', applicationIds: [id] });
    expect(entries.find((e) => e.action === 'create')).toMatchObject({ actor: 'partner:demo', outcome: 'ok' });
    expect(await system.broker.call('audit.query', { actor: 'partner:rival' })).toEqual([expect.objectContaining({ applicationIds: [id], outcome: 'not-found' })]);
    expect(findIn(JSON.stringify(entries), created.values)).toEqual([]);
  });

  test('Socket.IO: apply and a subscribe with a wrong token are audited under the client address', async () => {
    const socket = await connectClient(system.baseUrl);
    try {
      const application = distinctivePersonalApplication(5);
      created.values.push(...personalValues(application));
      const applied = await emitAck(socket, 'apply', application);
      expect(applied.ok).toBe(true);
      const refused = await emitAck(socket, 'subscribe', { id: applied.id, token: 'not-the-token' });
      expect(refused.ok).toBe(false);
      const entries = await eventually(async () => {
        const found = await system.broker.call<AuditEntry[], object>('audit.query', { applicationId: applied.id });
        return found.length >= 2 ? found : undefined;
      });
      expect(entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ actor: 'web:127.0.0.1', action: 'create', outcome: 'ok' }),
          expect.objectContaining({ actor: 'web:127.0.0.1', action: 'subscribe', outcome: 'not-found' }),
        ]),
      );
    } finally {
      socket.disconnect();
    }
  });

  test('no file under DATA_DIR holds a personal value in clear; the store opens them again', async () => {
    await system.stop();
    expect(fs.statSync(path.join(system.dataDir, GENERATED_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(scanFiles(system.dataDir, created.values)).toEqual([]);
    // the scan finds a clear value where there is one
    const planted = path.join(system.dataDir, 'planted.txt');
    fs.writeFileSync(planted, JSON.stringify({ lastName: created.values[0] }));
    expect(scanFiles(system.dataDir, created.values)).toEqual([{ file: planted, found: [created.values[0]] }]);
    fs.rmSync(planted);

    const store = new SealedApplicationStore(createEmbeddedStore(system.dataDir), keyringFor(system.config.personalData.keys, system.dataDir));
    await store.connect();
    try {
      const doc = await store.find(created.ids[0]);
      expect(doc?.application).toMatchObject({ owner: { lastName: distinctivePersonalApplication(0).owner.lastName, passport: distinctivePersonalApplication(0).owner.passport } });
      expect(doc?.application.personal).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

test('on PostgreSQL: no row of any table holds a personal value in clear', async () => {
  const database = await createTestDatabase();
  const system = await startSystem({ env: { ...PARTNERS, DATABASE_URL: database.url, QUOTE_DEADLINE_MS: '3000' } });
  try {
    const { ids, values } = await createSome(system, 2);
    await api(system, 'GET', `/api/v1/applications/${ids[0]}`, undefined, { key: RIVAL_KEY });
    await eventually(async () => ((await database.sql`SELECT 1 FROM audit_log WHERE actor = 'partner:rival'`).length > 0 ? true : undefined));
    const tables = await database.sql<{ name: string }[]>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`;
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['applications', 'quotes', 'audit_log', 'idempotency_records']));
    let dump = '';
    for (const { name } of tables) {
      const rows = await database.sql.unsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${name}" t`);
      dump += rows.map((r) => r.row).join('\n');
    }
    expect(dump).toContain('XTA219010K0123456'); // the dump holds the applications (their VIN is not personal)
    expect(dump).toContain('partner:rival');
    expect(findIn(dump, values)).toEqual([]);
  } finally {
    await system.stop();
    await database.drop();
  }
});
