import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Batcher, countFitting, ExpiredError, type BatchShape, type Settlement } from './batcher.js';

interface Item {
  readonly key: string;
  readonly seq: number;
  readonly bytes?: number;
  readonly topic?: string;
}

/** A send function that records each batch and lets the test decide when it settles. */
function recordingSend() {
  const batches: Item[][] = [];
  const deadlines: number[] = [];
  const settle: { resolve: () => void; reject: (error: Error) => void; settle: (results: Settlement<string>[]) => void }[] = [];
  const send = (items: Item[], deadline: number): Promise<Settlement<string>[]> => {
    batches.push(items);
    deadlines.push(deadline);
    return new Promise((resolve, reject) => {
      settle.push({ resolve: () => resolve(items.map((item) => ({ ok: true, value: `${item.key}#${item.seq}` }))), reject, settle: resolve });
    });
  };
  return { batches, deadlines, settle, send };
}

const limits: BatchShape<Item> = {
  lingerMs: 5,
  maxRecords: 3,
  maxBytes: 1000,
  sizeOf: (item) => item.bytes ?? 10,
  laneOf: (item) => item.topic ?? 'orders',
  laneLimit: () => Number.POSITIVE_INFINITY,
};
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
    const batcher = new Batcher(send, limits);
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
    const batcher = new Batcher(send, limits);
    for (let seq = 1; seq <= 3; seq++) void batcher.add({ key: 'a', seq });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(3);
  });

  it('sends at once when the maximum size is reached, and never puts more than it in one batch', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, { ...limits, maxRecords: 100 });
    void batcher.add({ key: 'a', seq: 1, bytes: 600 });
    void batcher.add({ key: 'a', seq: 2, bytes: 600 });
    expect(batches).toEqual([[{ key: 'a', seq: 1, bytes: 600 }]]);
    settle[0]!.resolve();
    await tick();
    expect(batches[1]).toEqual([{ key: 'a', seq: 2, bytes: 600 }]);
  });

  it('keeps one batch in flight; what arrives meanwhile leaves as soon as it is acknowledged, in order', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, limits);
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
    const batcher = new Batcher(send, limits);
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
    const batcher = new Batcher(send, limits, () => now);
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
        return items.map(() => ({ ok: true as const, value: 'ok' }));
      },
      { ...limits, lingerMs: 60_000 },
    );
    const results = [1, 2, 3, 4, 5].map((seq) => batcher.add({ key: 'k', seq }));
    await batcher.flush();
    await expect(Promise.all(results)).resolves.toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(sent.map((batch) => batch.length)).toEqual([3, 2]);
    expect(batcher.waiting).toBe(0);
  });

  it('cancelQueued rejects the items still waiting and leaves the batch in flight to finish', async () => {
    const { batches, settle, send } = recordingSend();
    const batcher = new Batcher(send, limits);
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

  it('answers each item with its own outcome: one refused item fails alone', async () => {
    const { settle, send } = recordingSend();
    const batcher = new Batcher(send, limits);
    const results = [1, 2, 3].map((seq) => batcher.add({ key: 'k', seq }));
    const refused = new Error('too large');
    settle[0]!.settle([{ ok: true, value: 'k#1' }, { ok: false, error: refused }, { ok: true, value: 'k#3' }]);
    await expect(results[0]).resolves.toBe('k#1');
    await expect(results[1]).rejects.toBe(refused);
    await expect(results[2]).resolves.toBe('k#3');
  });

  it("keeps each lane (topic) within its limit, as Kafka bounds a partition's batch by max.message.bytes", async () => {
    const { batches, settle, send } = recordingSend();
    const laneLimit = (lane: string): number => (lane === 'small' ? 25 : Number.POSITIVE_INFINITY);
    const batcher = new Batcher(send, { ...limits, maxRecords: 100, laneLimit });
    void batcher.add({ key: 'a', seq: 1, topic: 'small' });
    void batcher.add({ key: 'b', seq: 1, topic: 'big' });
    void batcher.add({ key: 'a', seq: 2, topic: 'small' });
    // A third one would take the lane to 30 bytes: the batch leaves without it, at once.
    void batcher.add({ key: 'a', seq: 3, topic: 'small' });
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((item) => `${item.topic}:${item.seq}`)).toEqual(['small:1', 'big:1', 'small:2']);
    settle[0]!.resolve();
    await tick();
    jest.advanceTimersByTime(5);
    expect(batches[1]!.map((item) => `${item.topic}:${item.seq}`)).toEqual(['small:3']);
  });

  it('gives the send the earliest deadline of its items', () => {
    const { deadlines, send } = recordingSend();
    const batcher = new Batcher(send, limits, () => 0);
    void batcher.add({ key: 'a', seq: 1 }, 9000);
    void batcher.add({ key: 'b', seq: 1 }, 7000);
    void batcher.add({ key: 'c', seq: 1 });
    expect(deadlines).toEqual([7000]);
  });

  it('idle() resolves once the batch in flight has settled', async () => {
    const { settle, send } = recordingSend();
    const batcher = new Batcher(send, limits);
    void batcher.add({ key: 'a', seq: 1 });
    jest.advanceTimersByTime(5);
    let idle = false;
    const waiting = batcher.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    settle[0]!.resolve();
    await waiting;
    expect(idle).toBe(true);
  });
});

describe('countFitting', () => {
  const shape = { maxRecords: 3, maxBytes: 100, sizeOf: (n: number) => n, laneOf: () => 't', laneLimit: () => 50 };

  it('counts the oldest items within every limit, in order, stopping at the first that does not fit', () => {
    expect(countFitting([10, 10, 10, 10], shape, (n) => n)).toBe(3);
    expect(countFitting([30, 30, 1], shape, (n) => n)).toBe(1);
    expect(countFitting([60], shape, (n) => n)).toBe(0);
    expect(countFitting([], shape, (n) => n)).toBe(0);
  });
});
