import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeFrame, type SpoolEntry } from './spool-format.js';
import { SpoolFullError, SpoolLog, type SpoolOptions } from './spool-log.js';

const entry = (n: number): SpoolEntry => ({
  topic: 'dropea.orders',
  key: n % 3 === 0 ? null : `order-${n}`,
  value: Buffer.from(`{"n":${n}}`),
  headers: { seq: String(n) },
});
const range = (from: number, to: number): SpoolEntry[] => Array.from({ length: to - from }, (_, i) => entry(from + i));
const seqs = (entries: SpoolEntry[]): number[] => entries.map((e) => Number(e.headers.seq));
const frameBytes = (entries: SpoolEntry[]): number => entries.reduce((sum, e) => sum + encodeFrame(e).length, 0);

/** The pid of a process that has exited, as left in the LOCK of a spool whose owner was killed. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid as number;
}

describe('SpoolLog', () => {
  let dir: string;
  const open: SpoolLog[] = [];
  const reports: string[] = [];
  const options: SpoolOptions = { maxBytes: 1024 * 1024, report: (message) => reports.push(message) };

  async function openLog(at = dir, extra: Partial<SpoolOptions> = {}): Promise<SpoolLog> {
    const log = await SpoolLog.open(at, { ...options, ...extra });
    open.push(log);
    return log;
  }

  async function segmentFiles(at = dir): Promise<string[]> {
    return (await readdir(at)).filter((name) => name.startsWith('segment-')).sort();
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spool-'));
    reports.length = 0;
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((log) => log.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads appended entries in order without moving the cursor, and commits to move on', async () => {
    const log = await openLog();
    expect(log.isEmpty).toBe(true);
    await log.append(range(0, 5));
    expect(log.pendingRecords).toBe(5);
    expect(log.pendingBytes).toBe(frameBytes(range(0, 5)));

    const first = await log.read(3, 1024);
    expect(seqs(first.entries)).toEqual([0, 1, 2]);
    expect(first.entries[0]).toEqual(entry(0));
    expect(seqs((await log.read(3, 1024)).entries)).toEqual([0, 1, 2]);

    await log.commit(first.end);
    expect(log.pendingRecords).toBe(2);
    expect(log.pendingBytes).toBe(frameBytes(range(3, 5)));
    const rest = await log.read(10, 1024);
    expect(seqs(rest.entries)).toEqual([3, 4]);
    await log.commit(rest.end);
    expect(log.isEmpty).toBe(true);
    expect((await log.read(10, 1024)).entries).toEqual([]);
  });

  it('honours the byte limit but always returns at least one entry', async () => {
    const log = await openLog();
    const big = { ...entry(0), value: Buffer.alloc(5000, 7) };
    await log.append([big, entry(1), entry(2)]);
    const alone = await log.read(10, 100);
    expect(alone.entries).toEqual([big]);
    await log.commit(alone.end);
    const one = frameBytes([entry(1)]);
    expect(seqs((await log.read(10, one + 1)).entries)).toEqual([1]);
    expect(seqs((await log.read(10, 2 * one + 2)).entries)).toEqual([1, 2]);
  });

  it('keeps the order of 200 concurrent appends, each call contiguous, with fewer syncs than calls', async () => {
    const log = await openLog();
    await Promise.all(Array.from({ length: 200 }, (_, call) => log.append(range(call * 2, call * 2 + 2))));
    const { entries } = await log.read(1000, 10 * 1024 * 1024);
    expect(seqs(entries)).toEqual(Array.from({ length: 400 }, (_, n) => n));
    expect(log.syncCount).toBeGreaterThan(0);
    expect(log.syncCount).toBeLessThan(20);
  });

  it('resumes at the committed cursor after a clean reopen', async () => {
    const first = await openLog();
    await first.append(range(0, 6));
    await first.commit((await first.read(4, 1024)).end);
    await first.close();
    await expect(stat(path.join(dir, 'LOCK'))).rejects.toThrow();

    const second = await openLog();
    expect(second.openReport).toEqual({ records: 2, bytes: frameBytes(range(4, 6)), keptAside: [] });
    expect(seqs((await second.read(10, 1024)).entries)).toEqual([4, 5]);
    expect(reports).toEqual([]);
  });

  it('resumes after a crash, from the disk as the killed process left it', async () => {
    const live = await openLog();
    await live.append(range(0, 5));
    await live.commit((await live.read(2, 1024)).end);
    await live.append(range(5, 7));
    const image = `${dir}-crash`;
    await cp(dir, image, { recursive: true });
    await writeFile(path.join(image, 'LOCK'), `${deadPid()}\n`);

    try {
      const revived = await openLog(image);
      expect(revived.pendingRecords).toBe(5);
      const { entries, end } = await revived.read(10, 1024);
      expect(seqs(entries)).toEqual([2, 3, 4, 5, 6]);
      await revived.commit(end);
      await revived.append([entry(7)]);
      expect(seqs((await revived.read(10, 1024)).entries)).toEqual([7]);
      expect(await readFile(path.join(image, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);
    } finally {
      await Promise.all(open.splice(1).map((log) => log.close()));
      await rm(image, { recursive: true, force: true });
    }
  });

  describe('a damaged tail', () => {
    /** Closes a log holding entries 0..3, damages its segment, reopens it, and checks the outcome. */
    async function expectRecovered(damage: (file: string) => Promise<Buffer>, keptFrom: number) {
      const first = await openLog();
      await first.append(range(0, 4));
      await first.close();
      const [segment] = await segmentFiles();
      const file = path.join(dir, segment!);
      const expectedAside = await damage(file);

      const log = await openLog();
      const { entries } = await log.read(10, 1024);
      expect(seqs(entries)).toEqual(seqs(range(0, keptFrom)));
      expect(log.openReport.keptAside).toHaveLength(1);
      const aside = log.openReport.keptAside[0]!;
      expect(aside).toMatchObject({ segment, offset: frameBytes(range(0, keptFrom)), bytes: expectedAside.length });
      expect(path.dirname(aside.file)).toBe(path.join(dir, 'corrupt'));
      expect(path.basename(aside.file)).toMatch(new RegExp(`^${segment}\\.${aside.offset}\\.\\d+\\.bin$`));
      expect((await readFile(aside.file)).equals(expectedAside)).toBe(true);
      expect(reports).toHaveLength(1);
      expect(reports[0]).toContain(`${segment}: `);
      expect(reports[0]).toContain(`at offset ${aside.offset}`);
      expect((await stat(file)).size).toBe(aside.offset);

      await log.append(range(10, 12));
      expect(seqs((await log.read(10, 1024)).entries)).toEqual([...seqs(range(0, keptFrom)), 10, 11]);
      await log.close();
      const again = await openLog();
      expect(again.openReport.keptAside).toEqual([]);
      expect(again.pendingRecords).toBe(keptFrom + 2);
      return aside;
    }

    it('cut mid-frame is kept aside and appending continues after the last whole frame', async () => {
      const aside = await expectRecovered(async (file) => {
        await truncate(file, frameBytes(range(0, 3)) + 7);
        return (await readFile(file)).subarray(frameBytes(range(0, 3)));
      }, 3);
      expect(aside.reason).toContain('incomplete');
    });

    it('with a flipped byte inside the last frame is kept aside whole', async () => {
      const aside = await expectRecovered(async (file) => {
        const bytes = await readFile(file);
        const at = frameBytes(range(0, 3)) + 20;
        bytes[at] = bytes[at]! ^ 0x40;
        await writeFile(file, bytes);
        return bytes.subarray(frameBytes(range(0, 3)));
      }, 3);
      expect(aside.reason).toBe('checksum mismatch');
    });

    it('of garbage after the valid frames is kept aside', async () => {
      const garbage = Buffer.from('not a frame at all');
      const aside = await expectRecovered(async (file) => {
        await appendFile(file, garbage);
        return garbage;
      }, 4);
      expect(aside.reason).toBe('bad magic byte');
    });
  });

  it('rejects an append that would exceed maxBytes with SpoolFullError, writing none of it', async () => {
    const limit = frameBytes(range(0, 3)) + 5;
    const log = await openLog(dir, { maxBytes: limit });
    await log.append(range(0, 2));
    const before = (await stat(path.join(dir, (await segmentFiles())[0]!))).size;
    await expect(log.append(range(2, 4))).rejects.toThrow(SpoolFullError);
    expect((await stat(path.join(dir, (await segmentFiles())[0]!))).size).toBe(before);
    expect(log.pendingRecords).toBe(2);

    await log.commit((await log.read(1, 1024)).end);
    await log.append(range(2, 4));
    expect(seqs((await log.read(10, 1024)).entries)).toEqual([1, 2, 3]);
  });

  it('counts appends still being written against maxBytes', async () => {
    const log = await openLog(dir, { maxBytes: frameBytes(range(0, 3)) });
    const writing = log.append(range(0, 2));
    await expect(log.append(range(2, 4))).rejects.toBeInstanceOf(SpoolFullError);
    await writing;
    expect(log.pendingRecords).toBe(2);
  });

  it('rotates segments at segmentBytes, reads across them, and deletes drained ones on commit', async () => {
    const one = frameBytes([entry(10)]);
    const log = await openLog(dir, { segmentBytes: 3 * one });
    for (let n = 10; n < 20; n++) await log.append([entry(n)]);
    expect(await segmentFiles()).toHaveLength(4);

    const firstHalf = await log.read(5, 1024);
    expect(seqs(firstHalf.entries)).toEqual([10, 11, 12, 13, 14]);
    await log.commit(firstHalf.end);
    expect(await segmentFiles()).toHaveLength(3);

    const rest = await log.read(100, 1024);
    expect(seqs(rest.entries)).toEqual([15, 16, 17, 18, 19]);
    await log.commit(rest.end);
    const [last] = await segmentFiles();
    expect(await segmentFiles()).toEqual([last]);
    await log.close();

    const reopened = await openLog(dir, { segmentBytes: 3 * one });
    expect(reopened.pendingRecords).toBe(0);
    await reopened.append([entry(20)]);
    expect(seqs((await reopened.read(10, 1024)).entries)).toEqual([20]);
  });

  it('starts a fresh segment once the log has drained, so drained bytes are dropped', async () => {
    const log = await openLog();
    await log.append(range(0, 3));
    await log.commit((await log.read(10, 1024)).end);
    const [drained] = await segmentFiles();
    await log.append([entry(3)]);
    const { entries, end } = await log.read(10, 1024);
    expect(seqs(entries)).toEqual([3]);
    await log.commit(end);
    const files = await segmentFiles();
    expect(files).toHaveLength(1);
    expect(files[0]! > drained!).toBe(true);
  });

  it('refuses a second open of a spool held by a running process, naming the directory', async () => {
    await openLog();
    await expect(SpoolLog.open(dir, options)).rejects.toThrow(`The spool at ${dir} is locked by running process ${process.pid}`);

    const other = await mkdtemp(path.join(os.tmpdir(), 'spool-'));
    try {
      await writeFile(path.join(other, 'LOCK'), `${process.ppid}\n`);
      await expect(SpoolLog.open(other, options)).rejects.toThrow(`locked by running process ${process.ppid}`);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('takes over a LOCK holding its own pid when it does not hold the spool, as after a container restart', async () => {
    await writeFile(path.join(dir, 'LOCK'), `${process.pid}\n`);
    const log = await openLog();
    await log.append([entry(1)]);
    expect(log.pendingRecords).toBe(1);
  });

  it('replays from the oldest segment, and says so, when the cursor file is unreadable', async () => {
    const first = await openLog();
    await first.append(range(0, 3));
    await first.commit((await first.read(2, 1024)).end);
    await first.close();
    await writeFile(path.join(dir, 'CURSOR'), '{"segment":');

    const log = await openLog();
    expect(seqs((await log.read(10, 1024)).entries)).toEqual([0, 1, 2]);
    expect(reports).toEqual([expect.stringContaining('cursor') as unknown as string]);
  });

  it('hands the lock over once the holder has closed', async () => {
    const first = await openLog();
    await first.append([entry(1)]);
    await first.close();
    const second = await openLog();
    expect(second.pendingRecords).toBe(1);
    await expect(first.append([entry(2)])).rejects.toThrow('closed');
  });
});
