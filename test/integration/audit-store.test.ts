/** The audit stores (embedded JSON lines, PostgreSQL's audit_log): append-only, queried newest first by application, actor and time. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedAuditStore, AUDIT_FILE } from '../../services/audit/embedded-store';
import { PostgresAuditStore } from '../../services/audit/postgres-store';
import type { AuditEntry, AuditStore } from '../../services/audit/types';
import { auditTable } from '../../services/audit/repl';
import { createTestDatabase, type TestDatabase } from './storage-engines';

const entry = (at: string, actor: string, ids: string[], outcome: AuditEntry['outcome'] = 'ok'): AuditEntry => ({ at, actor, action: ids.length === 1 ? 'read' : 'list', applicationIds: ids, outcome, node: 'gw-1' });

const entries = [
  entry('2031-01-01T10:00:00.000Z', 'partner:a', ['app-1']),
  entry('2031-01-01T10:00:01.000Z', 'partner:b', ['app-1'], 'not-found'),
  entry('2031-01-01T10:00:02.000Z', 'partner:a', ['app-1', 'app-2']),
  entry('2031-01-01T10:00:03.000Z', 'web:127.0.0.1', ['app-3'], 'denied'),
];

let database: TestDatabase;
const dirs: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

const engines: Array<[string, () => AuditStore]> = [
  ['embedded', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'osago-audit-'));
    dirs.push(dir);
    return new EmbeddedAuditStore(dir);
  }],
  ['PostgreSQL', () => new PostgresAuditStore(database.url)],
];

describe.each(engines)('the %s audit store', (name, create) => {
  let store: AuditStore;
  beforeAll(async () => {
    store = create();
    await store.connect();
    await store.append(entries.slice(0, 2));
    await store.append(entries.slice(2));
  });
  afterAll(() => store?.close());

  test('by application, newest first, a list entry included', async () => {
    expect(await store.query({ applicationId: 'app-1' })).toEqual([entries[2], entries[1], entries[0]]);
    expect(await store.query({ applicationId: 'app-2' })).toEqual([entries[2]]);
  });

  test('by actor, since, and limit', async () => {
    expect(await store.query({ actor: 'partner:b' })).toEqual([entries[1]]);
    expect(await store.query({ since: '2031-01-01T10:00:02.000Z' })).toEqual([entries[3], entries[2]]);
    expect(await store.query({ actor: 'partner:a', limit: 1 })).toEqual([entries[2]]);
    expect(await store.query({ applicationId: 'nobody' })).toEqual([]);
  });

  if (name === 'embedded') {
    test('one JSON line per entry, appended', () => {
      const lines = fs.readFileSync(path.join(dirs[0], AUDIT_FILE), 'utf8').trim().split('\n');
      expect(lines.map((line) => JSON.parse(line))).toEqual(entries);
    });
  }
});

test('the REPL table lists every entry', () => {
  const table = auditTable([entries[1], entries[2]]).split('\n');
  expect(table).toHaveLength(4);
  expect(table[0]).toMatch(/^at\s+actor\s+action\s+application\s+outcome\s+node$/);
  expect(table[2]).toContain('partner:b');
  expect(table[2]).toContain('not-found');
  expect(table[3]).toContain('2 listed');
});
