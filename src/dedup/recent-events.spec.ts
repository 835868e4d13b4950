import { describe, expect, it } from '@jest/globals';
import { RecentEvents } from './recent-events.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('RecentEvents', () => {
  it('publishes an id once within the TTL, and again after it', async () => {
    let now = 0;
    const events = new RecentEvents(1000, 10, () => now);
    let published = 0;
    const publish = async () => ++published;
    expect(await events.once('a', publish)).toEqual({ duplicate: false, result: 1 });
    now = 999;
    expect(await events.once('a', publish)).toEqual({ duplicate: true });
    expect(await events.once('b', publish)).toEqual({ duplicate: false, result: 2 });
    now = 1000;
    expect(await events.once('a', publish)).toEqual({ duplicate: false, result: 3 });
  });

  it('lets concurrent copies share the one publish in flight', async () => {
    const events = new RecentEvents(1000, 10);
    const gate = deferred<string>();
    let calls = 0;
    const publish = () => {
      calls++;
      return gate.promise;
    };
    const copies = [events.once('a', publish), events.once('a', publish), events.once('a', publish)];
    gate.resolve('published');
    expect(await Promise.all(copies)).toEqual([
      { duplicate: false, result: 'published' },
      { duplicate: true },
      { duplicate: true },
    ]);
    expect(calls).toBe(1);
  });

  it('does not remember a failed publish: its copies fail with it, and a retry publishes', async () => {
    const events = new RecentEvents(1000, 10);
    const gate = deferred<string>();
    const first = events.once('a', () => gate.promise);
    const copy = events.once('a', () => gate.promise);
    gate.reject(new Error('Kafka is away'));
    await expect(first).rejects.toThrow('Kafka is away');
    await expect(copy).rejects.toThrow('Kafka is away');
    expect(events.size).toBe(0);
    expect(await events.once('a', async () => 'retried')).toEqual({ duplicate: false, result: 'retried' });
  });

  it('keeps at most maxEntries ids, forgetting the oldest', async () => {
    const events = new RecentEvents(60_000, 3);
    for (const id of ['a', 'b', 'c', 'd']) await events.once(id, async () => id);
    expect(events.size).toBe(3);
    expect(await events.once('a', async () => 'again')).toEqual({ duplicate: false, result: 'again' });
    expect(await events.once('d', async () => 'again')).toEqual({ duplicate: true });
  });

  it('is off with a TTL of 0', async () => {
    const events = new RecentEvents(0, 10);
    await events.once('a', async () => 1);
    expect(await events.once('a', async () => 2)).toEqual({ duplicate: false, result: 2 });
    expect(events.size).toBe(0);
  });
});
