import { describe, expect, it } from '@jest/globals';
import { v5 } from 'uuid';
import { IdTable } from './id-table.js';

const NAMESPACE = 'df039b03-42f1-4a4a-b2c6-4a173aafd4db';
const id = (n: number): string => v5(`event ${n}`, NAMESPACE);

describe('IdTable', () => {
  it('remembers ids until the oldest are pushed out by capacity', () => {
    const table = new IdTable(3);
    for (let n = 1; n <= 4; n++) table.add(id(n), Infinity);
    expect(table.size).toBe(3);
    expect([1, 2, 3, 4].map((n) => table.has(id(n)))).toEqual([false, true, true, true]);
  });

  it('forgets ids as they expire, oldest first', () => {
    const table = new IdTable(10);
    table.add(id(1), 100);
    table.add(id(2), 200);
    table.expire(150);
    expect([table.has(id(1)), table.has(id(2)), table.size]).toEqual([false, true, 1]);
  });

  it('tells apart UUIDs that differ in any one hex digit', () => {
    const base = id(1);
    const table = new IdTable(64);
    table.add(base, Infinity);
    for (let at = 0; at < base.length; at++) {
      if (base[at] === '-') continue;
      const other = `${base.slice(0, at)}${base[at] === '0' ? '1' : '0'}${base.slice(at + 1)}`;
      expect(table.has(other)).toBe(false);
    }
    expect(table.has(base)).toBe(true);
  });

  it('takes ids that are not UUIDs too', () => {
    const table = new IdTable(2);
    table.add('dlq /webhooks/dropea abc', Infinity);
    expect(table.has('dlq /webhooks/dropea abc')).toBe(true);
    expect(table.has('dlq /webhooks/dropea abd')).toBe(false);
  });

  it('keeps 36-character ids that only look like UUIDs apart from the UUID', () => {
    const uuid = id(1);
    // Upper case, no dash at 8, a letter that is no hex digit, a dash one place early.
    const lookalikes = [uuid.toUpperCase(), `${uuid.slice(0, 8)}x${uuid.slice(9)}`, `${uuid.slice(0, 35)}g`, `${uuid.slice(0, 7)}-${uuid.slice(7, 8)}${uuid.slice(9)}`];
    const table = new IdTable(8);
    table.add(uuid, Infinity);
    expect(lookalikes.map((other) => table.has(other))).toEqual([false, false, false, false]);
    for (const other of lookalikes) table.add(other, Infinity);
    expect([...lookalikes, uuid].map((other) => table.has(other))).toEqual([true, true, true, true, true]);
  });

  it('holds nothing with capacity 0', () => {
    const table = new IdTable(0);
    table.add(id(1), Infinity);
    expect([table.has(id(1)), table.size]).toEqual([false, 0]);
  });

  it('agrees with a plain Set under a long run of adds, evictions and expiries', () => {
    // Small capacity and many ids: every index position is reused and probe chains wrap around.
    const capacity = 37;
    const ids = Array.from({ length: 200 }, (_, n) => id(n));
    const table = new IdTable(capacity);
    const model: { id: string; expiresAt: number }[] = [];
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let step = 0, now = 0; step < 20_000; step++, now++) {
      const candidate = ids[Math.floor(random() * ids.length)]!;
      table.expire(now);
      while (model.length > 0 && model[0]!.expiresAt <= now) model.shift();
      const known = model.some((entry) => entry.id === candidate);
      expect(table.has(candidate)).toBe(known);
      if (!known) {
        const expiresAt = now + 1 + Math.floor(random() * 60);
        // The table's TTL is constant in use; keep the model's expiries in insertion order too.
        const ordered = Math.max(expiresAt, model.at(-1)?.expiresAt ?? 0);
        table.add(candidate, ordered);
        if (model.length === capacity) model.shift();
        model.push({ id: candidate, expiresAt: ordered });
      }
      expect(table.size).toBe(model.length);
    }
  });
});
