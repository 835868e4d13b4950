import { mkdir, open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { acquireLock, releaseLock } from './spool-lock.js';
import { decodeFrame, encodeFrame, HEADER_BYTES, type SpoolEntry } from './spool-format.js';

/**
 * A durable, append-only local log of records that Kafka could not take in time.
 *
 * Records live in numbered segment files; a `CURSOR` file says where the drainer has committed
 * up to. An append resolves only once its bytes are written and synced, so an answer of
 * "spooled" survives a crash. Appends that arrive while a write+sync runs share the next one
 * (group commit). Reads see synced bytes only and never move the cursor: the drainer commits
 * after Kafka has acknowledged, so a crash in between replays records instead of losing them.
 *
 * Opening validates every frame after the cursor. A torn or damaged tail is copied to
 * `corrupt/`, cut off and reported, so it is never mistaken for a record. A `LOCK` file holding
 * the owner's pid keeps two processes from sharing one spool.
 */

export class SpoolFullError extends Error {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`The spool is full: ${bytes} more bytes would exceed its limit of ${maxBytes} bytes`);
    this.name = 'SpoolFullError';
  }
}

/** Where a read ended. Only meaningful to the log instance that returned it. */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
  /** Records before this position, counted from when the log was opened. */
  readonly ordinal: number;
}

export interface SpoolOptions {
  /** Limit on the bytes appended and not yet committed. */
  readonly maxBytes: number;
  readonly segmentBytes?: number;
  readonly report?: (message: string) => void;
}

export interface KeptAside {
  readonly segment: string;
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
  readonly file: string;
}

export interface OpenReport {
  readonly records: number;
  readonly bytes: number;
  readonly keptAside: readonly KeptAside[];
}

interface Segment {
  readonly seq: number;
  /** Bytes written and synced: readers never look past it. */
  size: number;
}

interface PendingAppend {
  readonly frames: Buffer[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const CURSOR_FILE = 'CURSOR';
const CORRUPT_DIR = 'corrupt';
const SEGMENT_NAME = /^segment-(\d{20})\.log$/;

export class SpoolLog {
  private readonly queue: PendingAppend[] = [];
  private writing: Promise<void> | undefined;
  private commits: Promise<void> = Promise.resolve();
  private reservedBytes = 0;
  private appended: number;
  private syncs = 0;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private readonly segments: Segment[],
    private active: FileHandle,
    private cursor: SpoolPosition,
    readonly openReport: OpenReport,
  ) {
    this.appended = openReport.records;
  }

  static async open(dir: string, options: SpoolOptions): Promise<SpoolLog> {
    const root = resolve(dir);
    await mkdir(root, { recursive: true });
    await acquireLock(root);
    try {
      return await SpoolLog.recover(root, options);
    } catch (error) {
      await releaseLock(root);
      throw error;
    }
  }

  get pendingRecords(): number {
    return this.appended - this.cursor.ordinal;
  }

  get pendingBytes(): number {
    const bytes = this.segments.reduce((sum, s) => (s.seq >= this.cursor.segment ? sum + s.size : sum), 0);
    return bytes - this.cursor.offset;
  }

  get isEmpty(): boolean {
    return this.pendingRecords === 0 && this.writing === undefined;
  }

  /** Write+sync rounds of appends so far; below the number of appends when callers shared them. */
  get syncCount(): number {
    return this.syncs;
  }

  /** Resolves once every entry is written and synced; entries of one call stay contiguous. */
  async append(entries: readonly SpoolEntry[]): Promise<void> {
    if (this.closed) throw new Error(`The spool at ${this.dir} is closed`);
    if (entries.length === 0) return;
    const frames = entries.map(encodeFrame);
    const bytes = frames.reduce((sum, frame) => sum + frame.length, 0);
    if (this.pendingBytes + this.reservedBytes + bytes > this.maxBytes) throw new SpoolFullError(bytes, this.maxBytes);
    this.reservedBytes += bytes;
    const done = new Promise<void>((resolve, reject) => this.queue.push({ frames, bytes, resolve, reject }));
    this.writing ??= this.writeQueued();
    return done;
  }

  /** The oldest uncommitted entries within the limits (at least one if any), and where they end. */
  async read(maxRecords: number, maxBytes: number): Promise<{ entries: SpoolEntry[]; end: SpoolPosition }> {
    const start = this.cursor;
    const entries: SpoolEntry[] = [];
    let bytes = 0;
    let pos = start;
    let full = false;
    while (!full && entries.length < maxRecords && (entries.length === 0 || bytes < maxBytes)) {
      pos = this.skipDrained(pos);
      const available = this.segmentAt(pos.segment).size - pos.offset;
      if (available <= 0) break;
      let chunk = await this.readAt(pos.segment, pos.offset, Math.min(available, Math.max(maxBytes - bytes, HEADER_BYTES)));
      let at = 0;
      while (!full && at < chunk.length && entries.length < maxRecords) {
        const frame = decodeFrame(chunk, at);
        if ('corrupt' in frame) {
          throw new Error(`Spool segment ${segmentName(pos.segment)} is damaged at ${pos.offset + at}: ${frame.corrupt}`);
        }
        if ('incomplete' in frame) {
          // The chunk was cut to the byte budget; a first record larger than it still goes out alone.
          if (entries.length === 0 && frame.needed !== undefined) chunk = await this.readAt(pos.segment, pos.offset, frame.needed);
          else full = true;
        } else if (entries.length > 0 && bytes + frame.next - at > maxBytes) {
          full = true;
        } else {
          entries.push(frame.entry);
          bytes += frame.next - at;
          at = frame.next;
        }
      }
      pos = { segment: pos.segment, offset: pos.offset + at, ordinal: start.ordinal + entries.length };
    }
    return { entries, end: pos };
  }

  /** Durably moves the cursor to `position` (never backwards), then deletes drained segments. */
  commit(position: SpoolPosition): Promise<void> {
    if (position.ordinal > this.appended) return Promise.reject(new RangeError('Cannot commit past the end of the spool'));
    if (position.ordinal <= this.cursor.ordinal) return this.commits;
    this.cursor = this.skipDrained(position);
    const done = this.commits.then(() => this.persistCursor());
    this.commits = done.catch(() => undefined);
    return done;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.commits;
    await this.active.close();
    await releaseLock(this.dir);
  }

  private static async recover(dir: string, options: SpoolOptions): Promise<SpoolLog> {
    const report = options.report ?? (() => undefined);
    const saved = await readCursor(dir, report);
    const found = await listSegments(dir);
    // Segments before the cursor were drained; a crash came before their deletion.
    for (const seq of found.filter((seq) => seq < saved.segment)) await unlink(join(dir, segmentName(seq)));
    const seqs = found.filter((seq) => seq >= saved.segment);
    if (seqs.length === 0) {
      seqs.push(saved.segment + 1);
      await (await open(join(dir, segmentName(saved.segment + 1)), 'wx')).close();
    }
    let offset = seqs[0] === saved.segment ? saved.offset : 0;
    const segments: Segment[] = [];
    const keptAside: KeptAside[] = [];
    let records = 0;
    for (const seq of seqs) {
      const scan = await scanSegment(dir, seq, seq === seqs[0] ? offset : 0);
      if (seq === seqs[0] && scan.start < offset) {
        report(`Spool cursor ${offset} lies past the end of ${segmentName(seq)}; resuming at ${scan.start}`);
        offset = scan.start;
      }
      if (scan.keptAside) {
        keptAside.push(scan.keptAside);
        const { segment, reason, offset: at, bytes, file } = scan.keptAside;
        report(`Spool segment ${segment}: ${reason} at offset ${at}; ${bytes} bytes kept aside in ${file}`);
      }
      segments.push({ seq, size: scan.size });
      records += scan.records;
    }
    await syncDir(dir);
    const bytes = segments.reduce((sum, s) => sum + s.size, 0) - offset;
    const last = segments[segments.length - 1] as Segment;
    const active = await open(join(dir, segmentName(last.seq)), 'r+');
    const cursor = { segment: segments[0]!.seq, offset, ordinal: 0 };
    const segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    return new SpoolLog(dir, options.maxBytes, segmentBytes, segments, active, cursor, { records, bytes, keptAside });
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) await this.writeGroup();
    this.writing = undefined;
  }

  /** One write+sync for the queued calls that fit the current segment (at least one call). */
  private async writeGroup(): Promise<void> {
    const last = this.tail;
    const first = this.queue[0] as PendingAppend;
    // An empty log starts a fresh segment so drained bytes don't linger until the size limit.
    const rotate = last.size > 0 && (last.size + first.bytes > this.segmentBytes || this.pendingRecords === 0);
    const room = this.segmentBytes - (rotate ? 0 : last.size);
    let bytes = first.bytes;
    let count = 1;
    for (; count < this.queue.length && bytes + this.queue[count]!.bytes <= room; count++) bytes += this.queue[count]!.bytes;
    const group = this.queue.splice(0, count);
    try {
      if (rotate) await this.rotate(last.seq + 1);
      await writeAll(this.active, Buffer.concat(group.flatMap((call) => call.frames)), this.tail.size);
      await this.active.datasync();
      this.syncs++;
      this.tail.size += bytes;
      this.appended += group.reduce((sum, call) => sum + call.frames.length, 0);
      this.reservedBytes -= bytes;
      group.forEach((call) => call.resolve());
    } catch (error) {
      // Cut back to the last synced size so the next group doesn't follow a half-written one.
      await this.active.truncate(this.tail.size).catch(() => undefined);
      this.reservedBytes -= bytes;
      group.forEach((call) => call.reject(error));
    }
  }

  /** The segment appends go to; `active` is its handle. */
  private get tail(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  private async rotate(seq: number): Promise<void> {
    const handle = await open(join(this.dir, segmentName(seq)), 'wx+');
    const previous = this.active;
    this.active = handle;
    this.segments.push({ seq, size: 0 });
    await previous.close();
    await syncDir(this.dir);
  }

  private async persistCursor(): Promise<void> {
    const { segment, offset } = this.cursor;
    const temp = join(this.dir, `${CURSOR_FILE}.tmp`);
    await writeDurably(temp, JSON.stringify({ segment, offset }), 'w');
    await rename(temp, join(this.dir, CURSOR_FILE));
    await syncDir(this.dir);
    const drained = this.segments.filter((s) => s.seq < segment);
    if (drained.length === 0) return;
    this.segments.splice(0, drained.length);
    for (const s of drained) await unlink(join(this.dir, segmentName(s.seq)));
    await syncDir(this.dir);
  }

  /** Moves a position at the end of a finished segment to the start of the next one. */
  private skipDrained(pos: SpoolPosition): SpoolPosition {
    let index = this.segments.findIndex((s) => s.seq === pos.segment);
    while (index >= 0 && index < this.segments.length - 1 && pos.offset >= this.segments[index]!.size) {
      index++;
      pos = { segment: this.segments[index]!.seq, offset: 0, ordinal: pos.ordinal };
    }
    return pos;
  }

  private segmentAt(seq: number): Segment {
    const segment = this.segments.find((s) => s.seq === seq);
    if (!segment) throw new Error(`Spool segment ${segmentName(seq)} was already deleted`);
    return segment;
  }

  private readAt(seq: number, offset: number, length: number): Promise<Buffer> {
    return withFile(join(this.dir, segmentName(seq)), 'r', async (handle) => {
      const buf = Buffer.alloc(length);
      for (let done = 0; done < length; ) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) return buf.subarray(0, done);
        done += bytesRead;
      }
      return buf;
    });
  }
}

function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(20, '0')}.log`;
}

async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  const seqs = names.flatMap((name) => SEGMENT_NAME.exec(name)?.[1] ?? []).map(Number);
  return seqs.sort((a, b) => a - b);
}

/** Checks every frame from `from`; keeps aside and cuts off the first bad one and all after it. */
async function scanSegment(dir: string, seq: number, from: number) {
  const name = segmentName(seq);
  const bytes = await readFile(join(dir, name));
  const start = Math.min(from, bytes.length);
  let at = start;
  let records = 0;
  while (at < bytes.length) {
    const frame = decodeFrame(bytes, at);
    if ('entry' in frame) {
      at = frame.next;
      records++;
      continue;
    }
    const reason = 'corrupt' in frame ? frame.corrupt : 'incomplete frame (torn write)';
    await mkdir(join(dir, CORRUPT_DIR), { recursive: true });
    const file = join(dir, CORRUPT_DIR, `${name}.${at}.${Date.now()}.bin`);
    await writeDurably(file, bytes.subarray(at), 'wx');
    await syncDir(join(dir, CORRUPT_DIR));
    await withFile(join(dir, name), 'r+', async (handle) => {
      await handle.truncate(at);
      await handle.sync();
    });
    return { start, size: at, records, keptAside: { segment: name, offset: at, bytes: bytes.length - at, reason, file } };
  }
  return { start, size: at, records, keptAside: undefined };
}

async function readCursor(dir: string, report: (message: string) => void): Promise<{ segment: number; offset: number }> {
  const text = await readFile(join(dir, CURSOR_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return { segment: 0, offset: 0 };
  const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  try {
    const { segment, offset } = Object(JSON.parse(text)) as Record<string, unknown>;
    if (isCount(segment) && isCount(offset)) return { segment, offset };
  } catch {
    // Falls through: unparsable is as unusable as malformed.
  }
  // Replaying from the oldest segment duplicates records; skipping any would lose them.
  report(`Spool cursor in ${dir} is unreadable; replaying from the oldest segment`);
  return { segment: 0, offset: 0 };
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length; ) {
    done += (await handle.write(data, done, data.length - done, position + done)).bytesWritten;
  }
}

function writeDurably(path: string, data: string | Buffer, flag: 'w' | 'wx'): Promise<void> {
  return withFile(path, flag, async (handle) => {
    await handle.writeFile(data);
    await handle.sync();
  });
}

/** Makes a created, renamed or deleted directory entry survive a crash. */
function syncDir(dir: string): Promise<void> {
  return withFile(dir, 'r', (handle) => handle.sync());
}

async function withFile<T>(path: string, flag: string, use: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(path, flag);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}
