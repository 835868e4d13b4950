import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * The spool (SPOOL_DIR): a durable queue of records that Kafka could not take in time, kept in
 * one SQLite database (node:sqlite, https://nodejs.org/api/sqlite.html) so that durability,
 * torn writes and the single-owner lock are SQLite's job rather than ours:
 *
 * - `journal_mode=WAL` with `synchronous=FULL`: a commit returns once the write-ahead log is
 *   fsync'd, so an answer of "spooled" survives a crash; a write torn by one is rolled back
 *   by SQLite's recovery (WAL frames are checksummed), never read as a record
 *   (https://www.sqlite.org/wal.html).
 * - `locking_mode=EXCLUSIVE`, taken at open and held until close: a kernel advisory lock on
 *   the database file. It holds across PID namespaces (every container's relay is PID 1) and
 *   is released by the kernel when the process dies, `kill -9` included
 *   (https://www.sqlite.org/pragma.html#pragma_locking_mode).
 *
 * Appends that arrive in one turn of the event loop share one transaction, hence one fsync
 * (group commit). Reads and removals are synchronous: they are small and only run while the
 * spool drains.
 */

/** A Kafka record as the spool keeps it: topic, key, the value's exact bytes, headers. */
export interface SpooledRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * What the spool holds for one acknowledged webhook: its record, and the dead letter to publish
 * instead should Kafka refuse the record for good (too large for its topic, say). A dead letter
 * itself has no fallback.
 */
export interface SpoolEntry {
  readonly record: SpooledRecord;
  readonly fallback?: SpooledRecord;
}

export interface StoredEntry extends SpoolEntry {
  /** Increasing in the order of appends: the order the drain keeps. */
  readonly seq: number;
  /** When it was spooled, in ms since the epoch. */
  readonly spooledAt: number;
}

export class SpoolFullError extends Error {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`The spool is full: ${bytes} more bytes would exceed SPOOL_MAX_BYTES (${maxBytes})`);
    this.name = 'SpoolFullError';
  }
}

/** Why the spool cannot be opened; main.ts prints the message and exits with `exitCode`. */
export class SpoolOpenError extends Error {
  constructor(
    message: string,
    /** sysexits.h: 75 (EX_TEMPFAIL) while another process holds it, 74 (EX_IOERR) otherwise. */
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SpoolOpenError';
  }
}

export interface SpoolStoreOptions {
  /** SPOOL_MAX_BYTES: what the pending records' keys, values and headers may add up to. */
  readonly maxBytes: number;
  readonly now?: () => number;
}

const DATABASE_FILE = 'spool.sqlite';
/** What the spool's first format (segment files) left in a directory. */
const LEGACY_FILES = /^(segment-\d{20}\.log|CURSOR)$/;
const SQLITE_BUSY = 5;
const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    spooled_at INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    record BLOB NOT NULL,
    fallback BLOB
  )`;

interface Row {
  readonly seq: number;
  readonly spooled_at: number;
  readonly record: Uint8Array;
  readonly fallback: Uint8Array | null;
}

interface PendingAppend {
  readonly rows: readonly { record: Buffer; fallback: Buffer | null; bytes: number }[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class SpoolStore {
  private readonly insert: StatementSync;
  private readonly selectOldest: StatementSync;
  private readonly deleteThrough: StatementSync;
  private readonly sumThrough: StatementSync;
  private readonly selectOldestTime: StatementSync;
  private readonly queue: PendingAppend[] = [];
  private flushScheduled = false;
  private count: number;
  private bytes: number;
  private reservedBytes = 0;
  private oldest: number | undefined;
  private transactions = 0;
  private closed = false;

  private constructor(
    private readonly db: DatabaseSync,
    readonly path: string,
    private readonly maxBytes: number,
    private readonly now: () => number,
  ) {
    this.insert = db.prepare('INSERT INTO entries (spooled_at, bytes, record, fallback) VALUES (?, ?, ?, ?)');
    this.selectOldest = db.prepare('SELECT seq, spooled_at, record, fallback FROM entries ORDER BY seq LIMIT ?');
    this.deleteThrough = db.prepare('DELETE FROM entries WHERE seq <= ?');
    this.sumThrough = db.prepare('SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM entries WHERE seq <= ?');
    this.selectOldestTime = db.prepare('SELECT spooled_at FROM entries ORDER BY seq LIMIT 1');
    const totals = this.sumThrough.get(Number.MAX_SAFE_INTEGER) as { count: number; bytes: number };
    this.count = totals.count;
    this.bytes = totals.bytes;
    this.oldest = (this.selectOldestTime.get() as { spooled_at: number } | undefined)?.spooled_at;
  }

  /**
   * Opens (or creates) the spool in `dir` and takes its lock. Fails with a SpoolOpenError when
   * another process holds it, when the database is damaged, or when the directory holds a
   * spool of the earlier segment-file format.
   */
  static async open(dir: string, options: SpoolStoreOptions): Promise<SpoolStore> {
    const root = resolve(dir);
    await mkdir(root, { recursive: true });
    const legacy = (await readdir(root)).filter((name) => LEGACY_FILES.test(name));
    if (legacy.length > 0) {
      throw new SpoolOpenError(
        `SPOOL_DIR ${root} holds a spool of an earlier format (${legacy.join(', ')}): drain it with the release that wrote it, then remove those files`,
        78,
      );
    }
    const path = join(root, DATABASE_FILE);
    // Loaded here, not at the top: without SPOOL_DIR the relay never needs it.
    const { DatabaseSync } = await import('node:sqlite');
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      // EXCLUSIVE before WAL: the lock is then taken by the first write below and never given
      // back, and the WAL index lives in this process's memory instead of shared memory.
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      db.exec('PRAGMA auto_vacuum = INCREMENTAL');
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA}; COMMIT`);
      return new SpoolStore(db, path, options.maxBytes, options.now ?? Date.now);
    } catch (error) {
      db?.close();
      throw openError(path, error);
    }
  }

  /** Entries waiting for Kafka. */
  get pendingRecords(): number {
    return this.count;
  }

  /** Bytes of their keys, values and headers (what SPOOL_MAX_BYTES bounds). */
  get pendingBytes(): number {
    return this.bytes;
  }

  get isEmpty(): boolean {
    return this.count === 0 && this.queue.length === 0;
  }

  /** When the oldest waiting entry was spooled (ms since the epoch); undefined when empty. */
  get oldestSpooledAt(): number | undefined {
    return this.oldest;
  }

  /** Transactions that committed appends so far; fewer than the appends when they shared them. */
  get commits(): number {
    return this.transactions;
  }

  /**
   * Resolves once the entries are committed and synced; entries of one call stay contiguous
   * and in order. Rejects with SpoolFullError, without writing, past SPOOL_MAX_BYTES.
   */
  append(entries: readonly SpoolEntry[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`The spool at ${this.path} is closed`));
    if (entries.length === 0) return Promise.resolve();
    const rows = entries.map(({ record, fallback }) => {
      const encoded = encodeRecord(record);
      return { record: encoded, fallback: fallback ? encodeRecord(fallback) : null, bytes: recordBytes(record) };
    });
    const bytes = rows.reduce((sum, row) => sum + row.bytes, 0);
    if (this.bytes + this.reservedBytes + bytes > this.maxBytes) return Promise.reject(new SpoolFullError(bytes, this.maxBytes));
    this.reservedBytes += bytes;
    const done = new Promise<void>((resolve, reject) => this.queue.push({ rows, resolve, reject }));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After the I/O callbacks of this turn, so the appends they made share one commit.
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Up to `limit` of the oldest entries, oldest first; the spool keeps them until `remove`. */
  oldestEntries(limit: number): StoredEntry[] {
    return (this.selectOldest.all(limit) as unknown as Row[]).map((row) => ({
      seq: row.seq,
      spooledAt: row.spooled_at,
      record: decodeRecord(row.record),
      ...(row.fallback ? { fallback: decodeRecord(row.fallback) } : {}),
    }));
  }

  /** Durably removes every entry up to and including `seq` (the drain has settled them). */
  removeThrough(seq: number): void {
    const removed = this.sumThrough.get(seq) as { count: number; bytes: number };
    this.deleteThrough.run(seq);
    this.count -= removed.count;
    this.bytes -= removed.bytes;
    this.oldest = (this.selectOldestTime.get() as { spooled_at: number } | undefined)?.spooled_at;
    // Empty again: give the file's free pages back to the disk.
    if (this.count === 0) this.db.exec('PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE)');
  }

  /** Commits what is queued, then releases the lock. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  private flush(): void {
    this.flushScheduled = false;
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    const spooledAt = this.now();
    let bytes = 0;
    let count = 0;
    try {
      this.db.exec('BEGIN');
      for (const { rows } of group) {
        for (const row of rows) {
          this.insert.run(spooledAt, row.bytes, row.record, row.fallback);
          bytes += row.bytes;
          count++;
        }
      }
      this.db.exec('COMMIT');
      this.transactions++;
    } catch (error) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // No transaction left to roll back (BEGIN itself failed).
      }
      this.reservedBytes -= group.reduce((sum, call) => sum + call.rows.reduce((s, row) => s + row.bytes, 0), 0);
      for (const call of group) call.reject(error);
      return;
    }
    this.reservedBytes -= bytes;
    this.bytes += bytes;
    this.count += count;
    this.oldest ??= spooledAt;
    for (const call of group) call.resolve();
  }
}

/**
 * One record as a self-contained blob: a 4-byte length, then UTF-8 JSON of topic, key and
 * headers, then the value's bytes verbatim (no escaping, any bytes round-trip).
 */
function encodeRecord({ topic, key, value, headers }: SpooledRecord): Buffer {
  const meta = Buffer.from(JSON.stringify({ topic, key, headers }), 'utf8');
  const blob = Buffer.allocUnsafe(4 + meta.length + value.length);
  blob.writeUInt32BE(meta.length, 0);
  meta.copy(blob, 4);
  value.copy(blob, 4 + meta.length);
  return blob;
}

function decodeRecord(blob: Uint8Array): SpooledRecord {
  const buffer = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const metaLength = buffer.readUInt32BE(0);
  const meta = JSON.parse(buffer.toString('utf8', 4, 4 + metaLength)) as Omit<SpooledRecord, 'value'>;
  return { topic: meta.topic, key: meta.key, headers: meta.headers, value: buffer.subarray(4 + metaLength) };
}

function recordBytes({ key, value, headers }: SpooledRecord): number {
  let bytes = value.length + (key === null ? 0 : Buffer.byteLength(key));
  for (const [name, header] of Object.entries(headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(header);
  return bytes;
}

function openError(path: string, error: unknown): SpoolOpenError {
  const code = (error as { errcode?: number }).errcode;
  if (code === SQLITE_BUSY) {
    return new SpoolOpenError(
      `The spool ${path} is in use by another relay process (its lock is held): every relay needs a SPOOL_DIR of its own, on a volume no other pod mounts`,
      75,
      { cause: error },
    );
  }
  if (code === SQLITE_CORRUPT || code === SQLITE_NOTADB) {
    return new SpoolOpenError(
      `The spool ${path} is damaged (${String((error as Error).message)}) and may hold acknowledged records: move it aside, recover what it holds with \`sqlite3 ${DATABASE_FILE} .recover\`, then restart`,
      74,
      { cause: error },
    );
  }
  return new SpoolOpenError(`The spool ${path} cannot be opened: ${String((error as Error).message ?? error)}`, 74, { cause: error });
}
