import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Batcher, ExpiredError } from './batcher.js';

interface Item {
  readonly key: string;
  readonly seq: number;
  readonly bytes?: number;
}

/** A send function that records each batch and lets the test decide when it settles. */
function recordingSend() {
  const batches: Item[][] = [];
  const settle: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const send = (items: Item[]): Promise<string[]> => {
    batches.push(items);
    return new Promise((resolve, reject) => {
      settle.push({ resolve: () => resolve(items.map((item) => `${item.key}#${item.seq}`)), reject });
    });
  };
  return { batches, settle, send };
}

const limits = { lingerMs: 5, maxRecords: 3, maxBytes: 1000 };
const sizeOf = (item: Item): number => item.bytes ?? 10;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('sends what arrives within the linger in one batch, and answers each caller with its own result', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, limits, sizeOf);
    const a = batcher.add({ key: 'a', seq: 1 });
    const b = batcher.add({ key: 'b', seq: 1 });
    expect(batches).toHaveLength(0);
    jest.advanceTimersByTime(5);
    expect(batches).toEqual([[{ key: 'a', seq: 1 }, { key: 'b', seq: 1 }]]);
    settle[0]!.resolve();
    await expect(a).resolves.toBe('a#1');
    await expect(b).resolves.toBe('b#1');
  });

  it('sends at once when the maximum count is reached, without waiting for the linger', () => {
    const { batches, send } = recordingSend();
    const batcher = new Batcher(send, limits, sizeOf);
    for (let seq = 1; seq <= 3; seq++) void batcher.add({ key: 'a', seq });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(3);
  });

  it('sends at once when the maximum size is reached, and never puts more than it in one batch', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, { ...limits, maxRecords: 100 }, sizeOf);
    void batcher.add({ key: 'a', seq: 1, bytes: 600 });
    void batcher.add({ key: 'a', seq: 2, bytes: 600 });
    expect(batches).toEqual([[{ key: 'a', seq: 1, bytes: 600 }]]);
    settle[0]!.resolve();
    await tick();
    expect(batches[1]).toEqual([{ key: 'a', seq: 2, bytes: 600 }]);
  });

  it('keeps one batch in flight; what arrives meanwhile leaves as soon as it is acknowledged, in order', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, limits, sizeOf);
    void batcher.add({ key: 'k', seq: 1 });
    jest.advanceTimersByTime(5);
    for (let seq = 2; seq <= 6; seq++) void batcher.add({ key: 'k', seq });
    jest.advanceTimersByTime(50);
    expect(batches).toHaveLength(1);

    settle[0]!.resolve();
    await tick();
    expect(batches).toHaveLength(2);
    settle[1]!.resolve();
    await tick();
    expect(batches).toHaveLength(3);
    // Per-key order within and across batches: the sequence as added.
    expect(batches.flat().map((item) => item.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(batches.map((batch) => batch.length)).toEqual([1, 3, 2]);
  });

  it('fails every caller of a failed batch, and goes on with the next batch', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, limits, sizeOf);
    const first = [1, 2, 3].map((seq) => batcher.add({ key: 'k', seq }));
    const later = batcher.add({ key: 'k', seq: 4 });
    settle[0]!.reject(new Error('broker gone'));
    for (const result of first) await expect(result).rejects.toThrow('broker gone');
    await tick();
    expect(batches).toHaveLength(2);
    settle[1]!.resolve();
    await expect(later).resolves.toBe('k#4');
  });

  it('drops an item whose deadline passed while it waited, rejecting it, and sends the rest', async () => {
    const { batches, settle, send } = recordingSend();
    let now = 1000;
    const batcher = new Batcher(send, limits, sizeOf, () => now);
    void batcher.add({ key: 'k', seq: 1 });
    jest.advanceTimersByTime(5);
    const expired = batcher.add({ key: 'k', seq: 2 }, 1500);
    const alive = batcher.add({ key: 'k', seq: 3 }, 5000);
    now = 2000;
    settle[0]!.resolve();
    await expect(expired).rejects.toBeInstanceOf(ExpiredError);
    await tick();
    expect(batches[1]).toEqual([{ key: 'k', seq: 3 }]);
    settle[1]!.resolve();
    await expect(alive).resolves.toBe('k#3');
  });

  it('flushes everything pending on shutdown, batch after batch', async () => {
    const sent: Item[][] = [];
    const batcher = new Batcher(
      async (items: Item[]) => {
        sent.push(items);
        return items.map(() => 'ok');
      },
      { ...limits, lingerMs: 60_000 },
      sizeOf,
    );
    const results = [1, 2, 3, 4, 5].map((seq) => batcher.add({ key: 'k', seq }));
    await batcher.flush();
    await expect(Promise.all(results)).resolves.toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(sent.map((batch) => batch.length)).toEqual([3, 2]);
    expect(batcher.waiting).toBe(0);
  });

  it('cancelQueued rejects the items still waiting and leaves the batch in flight to finish', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, limits, sizeOf);
    const inFlight = [1, 2, 3].map((seq) => batcher.add({ key: 'a', seq }));
    const waiting = [4, 5].map((seq) => batcher.add({ key: 'a', seq }));
    const cancelled = new Error('taken over');
    batcher.cancelQueued(cancelled);
    for (const item of waiting) await expect(item).rejects.toBe(cancelled);
    expect(batcher.waiting).toBe(0);
    settle[0]!.resolve();
    await expect(Promise.all(inFlight)).resolves.toEqual(['a#1', 'a#2', 'a#3']);
    jest.advanceTimersByTime(10);
    expect(batches).toHaveLength(1);
  });
});
