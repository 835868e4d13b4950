import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SpoolFullError, SpoolOpenError, SpoolStore, type SpoolEntry } from './spool-store.js';

const entry = (n: number, withFallback = false): SpoolEntry => ({
  record: { topic: 'dropea.orders', key: n % 3 === 0 ? null : `order-${n}`, value: Buffer.from(`{"n":${n}}`), headers: { seq: String(n) } },
  ...(withFallback ? { fallback: { topic: 'dropea.dlq', key: String(n), value: Buffer.from([0, 255, n % 256]), headers: { dlq_route: '/x' } } } : {}),
});
const range = (from: number, to: number): SpoolEntry[] => Array.from({ length: to - from }, (_, i) => entry(from + i));
const seqs = (entries: readonly SpoolEntry[]): number[] => entries.map((e) => Number(e.record.headers['seq']));

/** A child process that holds the spool at `dir` open until it is killed; resolves once it holds it. */
async function holdInChild(dir: string, appendForever = false): Promise<{ kill: () => Promise<void>; committed: () => number }> {
  const module = new URL('./spool-store.ts', import.meta.url).pathname;
  // The child is plain JavaScript importing the store's compiled twin (npm test builds dist/).
  const compiled = module.replace('/src/', '/dist/').replace(/\.ts$/, '.js');
  const script = `
    const { SpoolStore } = await import(${JSON.stringify(compiled)});
    const store = await SpoolStore.open(${JSON.stringify(dir)}, { maxBytes: 1e9 });
    console.log('holding');
    let n = 0;
    while (${appendForever}) {
      const batch = Array.from({ length: 20 }, () => ({ record: { topic: 't', key: String(n), value: Buffer.alloc(2000, n % 256), headers: { seq: String(n++) } } }));
      await store.append(batch);
      console.log('committed ' + n);
    }
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let committed = 0;
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(/committed (\d+)/g)) committed = Number(match[1]);
      if (output.includes('holding')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code}: ${output}`)));
  });
  return {
    committed: () => committed,
    kill: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

describe('SpoolStore', () => {
  let dir: string;
  const open: SpoolStore[] = [];

  async function openStore(at = dir, maxBytes = 1024 * 1024): Promise<SpoolStore> {
    const store = await SpoolStore.open(at, { maxBytes });
    open.push(store);
    return store;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'spool-'));
  });

  afterEach(async () => {
    for (const store of open.splice(0)) store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps appended entries in order until they are removed, and counts them', async () => {
    let now = 1_000;
    const store = await SpoolStore.open(dir, { maxBytes: 1024 * 1024, now: () => now });
    open.push(store);
    expect(store.isEmpty).toBe(true);
    expect(store.oldestSpooledAt).toBeUndefined();
    await store.append(range(0, 3));
    now = 2_000;
    await store.append(range(3, 5));
    expect(store.pendingRecords).toBe(5);
    expect(store.pendingBytes).toBe(range(0, 5).reduce((sum, e) => sum + e.record.value.length + (e.record.key?.length ?? 0) + 3 + String(seqs([e])[0]).length, 0));
    expect(store.oldestSpooledAt).toBe(1_000);

    const first = store.oldestEntries(3);
    expect(seqs(first)).toEqual([0, 1, 2]);
    expect(first[0]).toMatchObject(entry(0));
    expect(first.map((e) => e.spooledAt)).toEqual([1_000, 1_000, 1_000]);
    // Reading does not remove.
    expect(seqs(store.oldestEntries(3))).toEqual([0, 1, 2]);

    store.removeThrough(first[2]!.seq);
    expect(store.pendingRecords).toBe(2);
    expect(store.oldestSpooledAt).toBe(2_000);
    const rest = store.oldestEntries(10);
    expect(seqs(rest)).toEqual([3, 4]);
    store.removeThrough(rest[1]!.seq);
    expect(store.isEmpty).toBe(true);
    expect(store.pendingBytes).toBe(0);
    expect(store.oldestEntries(10)).toEqual([]);
  });

  it('keeps any bytes and the fallback record exactly', async () => {
    const store = await openStore();
    const binary: SpoolEntry = {
      record: { topic: 't', key: 'k', value: Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]), headers: { 'content-type': 'application/protobuf', ce_id: 'é✓' } },
      fallback: entry(7, true).fallback!,
    };
    await store.append([binary, entry(8)]);
    const [read, plain] = store.oldestEntries(2);
    expect(read!.record).toEqual(binary.record);
    expect(read!.fallback).toEqual(binary.fallback);
    expect(plain!.fallback).toBeUndefined();
  });

  it('commits the appends of one turn of the event loop together, each call contiguous and in order', async () => {
    const store = await openStore();
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(range(i * 4, i * 4 + 4))));
    expect(store.commits).toBe(1);
    expect(seqs(store.oldestEntries(1000))).toEqual(seqs(range(0, 200)));
  });

  it('refuses an append past SPOOL_MAX_BYTES without writing any of it', async () => {
    const store = await openStore(dir, 1024 * 1024);
    const big = (n: number): SpoolEntry => ({ record: { topic: 't', key: null, value: Buffer.alloc(400 * 1024, n), headers: {} } });
    await store.append([big(1), big(2)]);
    await expect(store.append([big(3)])).rejects.toBeInstanceOf(SpoolFullError);
    expect(store.pendingRecords).toBe(2);
    store.removeThrough(store.oldestEntries(1)[0]!.seq);
    await expect(store.append([big(3)])).resolves.toBeUndefined();
  });

  it('finds what it held after a close and a reopen', async () => {
    const store = await openStore();
    await store.append(range(0, 4));
    store.removeThrough(store.oldestEntries(1)[0]!.seq);
    store.close();
    const again = await openStore();
    expect(seqs(again.oldestEntries(10))).toEqual([1, 2, 3]);
    expect(again.pendingRecords).toBe(3);
  });

  it('refuses a second opener in this process, and lets one in once the first has closed', async () => {
    const store = await openStore();
    const second = SpoolStore.open(dir, { maxBytes: 1024 });
    await expect(second).rejects.toBeInstanceOf(SpoolOpenError);
    await expect(second).rejects.toMatchObject({ exitCode: 75, message: expect.stringContaining('in use by another relay process') });
    store.close();
    await expect(openStore()).resolves.toBeInstanceOf(SpoolStore);
  });

  it('refuses a second opener in another process, and is free again once that process is killed (kill -9)', async () => {
    const holder = await holdInChild(dir);
    await expect(SpoolStore.open(dir, { maxBytes: 1024 })).rejects.toMatchObject({ exitCode: 75 });
    await holder.kill();
    await expect(openStore()).resolves.toBeInstanceOf(SpoolStore);
  });

  it('keeps every append that resolved when its process is killed mid-write, and a torn log tail is never read as a record', async () => {
    const writer = await holdInChild(dir, true);
    while (writer.committed() < 400) await new Promise((resolve) => setTimeout(resolve, 10));
    const committed = writer.committed();
    await writer.kill();
    // Half a write-ahead-log frame of garbage, as a crash during the next write could leave.
    await appendFile(path.join(dir, 'spool.sqlite-wal'), Buffer.alloc(3000, 0x5a));
    const store = await openStore(dir, 1e9);
    const held = store.oldestEntries(1_000_000);
    expect(held.length).toBeGreaterThanOrEqual(committed);
    expect(held.length % 20).toBe(0);
    expect(seqs(held)).toEqual(held.map((_, i) => i));
    expect(held.every((e) => e.record.value.equals(Buffer.alloc(2000, Number(e.record.headers['seq']) % 256)))).toBe(true);
  });

  it('refuses a damaged database, naming the file and how to recover it', async () => {
    await writeFile(path.join(dir, 'spool.sqlite'), Buffer.alloc(8192, 0x42));
    await expect(SpoolStore.open(dir, { maxBytes: 1024 })).rejects.toMatchObject({
      exitCode: 74,
      message: expect.stringMatching(/spool\.sqlite is damaged.*\.recover/),
    });
    // Left where it was, untouched.
    expect(await readFile(path.join(dir, 'spool.sqlite'))).toEqual(Buffer.alloc(8192, 0x42));
  });

  it('refuses a directory holding a spool of the earlier segment-file format', async () => {
    await writeFile(path.join(dir, 'segment-00000000000000000001.log'), 'x');
    await expect(SpoolStore.open(dir, { maxBytes: 1024 })).rejects.toMatchObject({
      exitCode: 78,
      message: expect.stringContaining('earlier format'),
    });
  });
});
