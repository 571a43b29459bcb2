/**
 * The files the embedded store kept before its journal: moleculer-db's MemoryAdapter over NeDB, one
 * per collection under DATA_DIR. Read the way NeDB loaded them: a document a line, the last line
 * for an `_id` wins, `{"$$deleted":true,"_id":…}` drops it, index lines are not documents, and a
 * line that does not parse is skipped (NeDB tolerated a few).
 */
import path from 'node:path';
import { entryOf, type EmbeddedState } from './embedded-state';
import { fileExists, readLines } from './journal';
import { isPlausibleId, type ApplicationDoc, type IdempotencyRecord } from './types';

export const NEDB_FILES = ['applications.db', 'idempotency.db'] as const;

type NeDbDocument = Record<string, unknown> & { _id: string };


/** NeDB's own corruptAlertThreshold. */
const UNREADABLE_SHARE = 0.1;

async function latestDocuments(file: string, warn: (message: string) => void): Promise<NeDbDocument[]> {
  const byId = new Map<string, NeDbDocument>();
  let unreadable = 0;
  let read = 0;
  let tornLast = false; // the last line a write the process did not finish: not damage
  for await (const lines of readLines(file)) {
    for (const line of lines) {
      if (line.trim() === '') continue;
      read++;
      let doc: unknown;
      try {
        doc = JSON.parse(line);
        tornLast = false;
      } catch {
        unreadable++;
        tornLast = true;
        continue;
      }
      if (typeof doc !== 'object' || doc === null) continue;
      const { _id: id, $$deleted: deleted } = doc as Record<string, unknown>;
      if (typeof id !== 'string' || !isPlausibleId(id)) continue; // $$indexCreated, $$indexRemoved
      if (deleted === true) byId.delete(id);
      else byId.set(id, doc as NeDbDocument);
    }
  }
  // NeDB itself refused a file with more than a tenth of it unreadable: that is a damaged or
  // wrongly encoded file, and importing what little parses would rename it out of the way for good
  if (unreadable - (tornLast ? 1 : 0) > UNREADABLE_SHARE * read) throw new Error(`${file}: ${unreadable} of ${read} lines are not JSON; not imported (repair it, or move it away to start empty)`);
  if (unreadable > 0) warn(`${file}: skipped ${unreadable} line(s) that are not JSON`);
  return [...byId.values()];
}

/** The NeDB files present in `dataDir`. */
export async function nedbFilesIn(dataDir: string): Promise<string[]> {
  const files = NEDB_FILES.map((name) => path.join(dataDir, name));
  const present = await Promise.all(files.map(fileExists));
  return files.filter((_, i) => present[i]);
}

/** Loads the NeDB files of `dataDir` into `state`; answers the files read. */
export async function importNeDb(dataDir: string, state: EmbeddedState, warn: (message: string) => void): Promise<string[]> {
  const [applications, idempotency] = NEDB_FILES.map((name) => path.join(dataDir, name));
  const present = await nedbFilesIn(dataDir);
  if (present.includes(applications)) {
    for (const stored of await latestDocuments(applications, warn)) {
      // the document store's own fields (documents.ts): the pending count and the expiry token
      const { _id, pending: _pending, expiredBy: _expiredBy, ...rest } = stored;
      state.add(entryOf({ ...rest, id: _id } as unknown as ApplicationDoc));
    }
  }
  if (present.includes(idempotency)) {
    for (const { _id, ...rest } of await latestDocuments(idempotency, warn)) {
      state.keys.set(_id, JSON.stringify({ ...rest, id: _id } as unknown as IdempotencyRecord));
    }
  }
  return present;
}
