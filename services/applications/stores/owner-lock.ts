/**
 * One owner per DATA_DIR. The embedded store's exactly-once and its journal both assume a single
 * process writes there: a second one would compact the file from under the first, and what the
 * first acknowledged would be lost without a sound. So the owner holds `applications.lock` with its
 * pid. A lock whose process is gone (a kill, a crash) is stale and taken over; a container restarted
 * with the same pid as before holds no lock in this process, so its own pid in the file is stale too.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export const LOCK_FILE = 'applications.lock';

/** Directories this process holds, so a second store in the same process is refused too. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // it exists, owned by someone else
  }
}

export class DataDirInUseError extends Error {
  constructor(dataDir: string, holder: number | 'this process') {
    super(
      `DATA_DIR ${dataDir} is in use by ${holder === 'this process' ? 'another store of this process' : `process ${holder}`}: ` +
        `the embedded store has one owner. Stop it, or give this node its own DATA_DIR (if no such process runs, delete ${LOCK_FILE} there).`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** Takes the directory's lock; the answer releases it. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const dir = path.resolve(dataDir);
  if (heldHere.has(dir)) throw new DataDirInUseError(dir, 'this process');
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const holder = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) throw new DataDirInUseError(dir, holder);
    await fs.rm(file, { force: true }); // stale: its process is gone
  }
  heldHere.add(dir);
  return async () => {
    heldHere.delete(dir);
    await fs.rm(file, { force: true });
  };
}
