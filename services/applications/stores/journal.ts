/**
 * The embedded store's file: one JSON record a line, appended, read back in order at start, and
 * now and then replaced by a snapshot of the live state. It knows lines, not what they mean.
 *
 * Group commit: whatever is appended within one turn of the event loop, or while a write is under
 * way, goes out in one write, and each append's promise settles when the write that holds its line
 * has. Written means handed to the OS, as NeDB's appends were, with no fsync per write: a killed
 * process loses nothing the kernel holds; a power cut may lose the last writes and tear the last
 * line, which replay skips. A snapshot is fsynced before it replaces the journal, since a rename
 * that reached the disk before the data would lose everything, not only the tail.
 *
 * A failed write leaves the owner's memory ahead of its file. Rather than acknowledge changes built
 * on something the file lacks, the journal then refuses everything until the store is reopened
 * (replay gives back what the file holds).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** One write holds at most about this much: a burst becomes several writes, not one huge buffer. */
const MAX_WRITE_BYTES = 4 * 1024 * 1024;

/** A snapshot goes out in writes of about this size, so it never sits in memory whole. */
const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

const READ_CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

export interface JournalSettings {
  /**
   * Compact once the file exceeds twice its last snapshot by this much. Measured in bytes, not
   * records: an application's settles are small next to its document, so its dozen records cost
   * little more than its snapshot line, while removed applications and idempotency keys are waste.
   * Each compaction rewrites at most as much as was appended since the last one.
   */
  slackBytes: number;
  /** The snapshot is written in pieces this large, changes going on between them. */
  snapshotChunkBytes?: number;
}

/** The owner's live state as record lines, read lazily while the snapshot is written (see compactNow). */
export type Snapshot = () => Iterable<string>;

interface Batch {
  lines: string[];
  bytes: number;
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newBatch(): Batch {
  let resolve: () => void = () => undefined;
  let reject: (err: unknown) => void = () => undefined;
  const done = new Promise<void>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { lines: [], bytes: 0, done, resolve, reject };
}

/** The file's complete lines, a chunk's worth at a time, then its last line if no newline ends it. */
export async function* readLines(file: string): AsyncGenerator<string[]> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let unfinished: Buffer[] = []; // a line that runs past the chunk read so far
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      const lines: string[] = [];
      let start = 0;
      // a newline byte never occurs inside a multi-byte UTF-8 character, so splitting bytes is safe
      for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        unfinished.push(chunk.subarray(start, end));
        lines.push(Buffer.concat(unfinished).toString('utf8'));
        unfinished = [];
        start = end + 1;
      }
      if (start < bytesRead) unfinished.push(Buffer.from(chunk.subarray(start))); // a copy: the buffer is read into again
      if (lines.length > 0) yield lines;
    }
    if (unfinished.length > 0) yield [Buffer.concat(unfinished).toString('utf8')];
  } finally {
    await handle.close();
  }
}

/**
 * Hands every record of `file` to `apply`, oldest first; false when there is no file. A last line
 * that does not parse is a write the process did not finish: skipped, with a warning. One that does
 * not parse with records after it is damage replay cannot get past, and connecting fails.
 */
export async function replay(file: string, apply: (record: unknown) => void, warn: (message: string) => void): Promise<boolean> {
  if (!(await fileExists(file))) return false;
  let number = 0;
  let unreadable: number | undefined; // the last line that did not parse, if nothing came after it yet
  for await (const lines of readLines(file)) {
    for (const line of lines) {
      number++;
      if (line === '') continue;
      if (unreadable !== undefined) throw new Error(`${file}:${unreadable}: not a JSON record, and not the last line`);
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        unreadable = number;
        continue;
      }
      try {
        apply(record);
      } catch (err) {
        throw new Error(`${file}:${number}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  if (unreadable !== undefined) warn(`${file}: skipped its last line (${unreadable}), a write the process did not finish`);
  return true;
}

async function writeAll(handle: fs.FileHandle, text: string): Promise<number> {
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length; ) offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
  return bytes.length;
}

/** Makes a rename durable. Some platforms cannot open a directory for it; there the rename is as safe as they make it. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EACCES'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await handle?.close();
  }
}

export class Journal {
  private handle: fs.FileHandle | undefined;
  private readonly queue: Batch[] = [];
  /** The last batch being written, or absorbed by the compaction under way. */
  private inFlight: Promise<void> | undefined;
  /** The writer, from when something was queued until the queue is empty. */
  private running: Promise<void> | undefined;
  private compactionWanted = false;
  /** Set once a write failed: memory is then ahead of the file, so the store must take no more changes. */
  failure: Error | undefined;
  private closed = false;
  private fileBytes = 0;
  private snapshotBytes = 0;

  constructor(
    readonly file: string,
    private readonly snapshot: Snapshot,
    private readonly settings: JournalSettings,
  ) {}

  /** Starts the file afresh from the snapshot (dropping a torn last line, say), then takes appends. */
  async open(): Promise<void> {
    await this.writeSnapshot();
  }

  /** Resolves once `line` is written; the owner has already applied the change it records. */
  append(line: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed || !this.handle) return Promise.reject(new Error(`the journal ${this.file} is not open`));
    let batch = this.queue.at(-1);
    if (!batch || batch.bytes >= MAX_WRITE_BYTES) {
      batch = newBatch();
      this.queue.push(batch);
    }
    batch.lines.push(line);
    batch.bytes += line.length + 1;
    this.wake();
    return batch.done;
  }

  /** Resolves once everything appended so far is written. */
  written(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.queue.at(-1)?.done ?? this.inFlight ?? Promise.resolve();
  }

  /** Rewrites the file as a snapshot of the live state now, between two writes. */
  async compact(): Promise<void> {
    if (this.closed || !this.handle) throw new Error(`the journal ${this.file} is not open`);
    this.compactionWanted = true;
    this.wake();
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    await this.handle?.close();
    this.handle = undefined;
  }

  /** The writer starts on the next turn of the event loop, so that one turn's appends share a write. */
  private wake(): void {
    if (this.running) return;
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.running = undefined;
        if (!this.failure && (this.queue.length > 0 || this.compactionWanted)) this.wake();
      });
  }

  private async drain(): Promise<void> {
    while (!this.failure && (this.queue.length > 0 || this.compactionWanted)) {
      if (this.compactionWanted) await this.compactNow();
      else await this.writeBatch(this.queue.shift() as Batch);
      if (this.fileBytes > 2 * this.snapshotBytes + this.settings.slackBytes) this.compactionWanted = true;
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    this.inFlight = batch.done;
    try {
      this.fileBytes += await writeAll(this.handle as fs.FileHandle, `${batch.lines.join('\n')}\n`);
      batch.resolve();
    } catch (err) {
      this.fail(err, [batch]);
    }
  }

  /**
   * The batches still queued are not written to the old file: the snapshot holds their changes
   * (the owner applies a change before appending its record), and their promises settle with it.
   * The snapshot is read while changes go on, so it may hold some made after it started; their
   * records, appended meanwhile, follow it in the new file, and replaying a record over a state that
   * already holds it changes nothing (the owner's records say what a thing becomes, not what to do).
   */
  private async compactNow(): Promise<void> {
    this.compactionWanted = false;
    const absorbed = this.queue.splice(0);
    this.inFlight = absorbed.at(-1)?.done ?? this.inFlight;
    try {
      await this.writeSnapshot();
      for (const batch of absorbed) batch.resolve();
    } catch (err) {
      this.fail(err, absorbed);
    }
  }

  private async writeSnapshot(): Promise<void> {
    const temporary = `${this.file}.tmp`;
    const out = await fs.open(temporary, 'w');
    let bytes = 0;
    try {
      let chunk: string[] = [];
      let chunkBytes = 0;
      for (const line of this.snapshot()) {
        chunk.push(line);
        chunkBytes += line.length + 1;
        if (chunkBytes < (this.settings.snapshotChunkBytes ?? SNAPSHOT_CHUNK_BYTES)) continue;
        bytes += await writeAll(out, `${chunk.join('\n')}\n`);
        chunk = [];
        chunkBytes = 0;
      }
      if (chunk.length > 0) bytes += await writeAll(out, `${chunk.join('\n')}\n`);
      await out.sync();
    } finally {
      await out.close();
    }
    await fs.rename(temporary, this.file);
    await syncDirectory(path.dirname(this.file));
    const replaced = this.handle;
    this.handle = await fs.open(this.file, 'a');
    await replaced?.close();
    this.fileBytes = this.snapshotBytes = bytes;
  }

  private fail(err: unknown, batches: Batch[]): void {
    const cause = err as Error;
    this.failure = new Error(`the journal ${this.file} could not be written, so the store takes no more changes until it is reopened: ${cause.message}`, { cause });
    for (const batch of [...batches, ...this.queue.splice(0)]) batch.reject(this.failure);
  }
}

/** False only when there is no such file: any other error (EIO, EACCES) must not pass for "no data". */
export async function fileExists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
