import { describe, expect, it } from '@jest/globals';
import type { Producer } from 'kafkajs';
import { ProducerSlot } from './producer-slot.js';

/** A stand-in with just the lifecycle ProducerSlot drives; real sends are covered end to end. */
function fakeProducer(name: string, log: string[], { failConnect = false } = {}): Producer {
  return {
    connect: async () => {
      log.push(`${name} connect`);
      if (failConnect) throw new Error('unreachable');
    },
    disconnect: async () => {
      log.push(`${name} disconnect`);
    },
  } as unknown as Producer;
}

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('ProducerSlot', () => {
  it('connects one producer lazily and reuses it', async () => {
    const log: string[] = [];
    let made = 0;
    const slot = new ProducerSlot(async () => fakeProducer(`p${++made}`, log));
    await slot.run(async () => 'a');
    await slot.run(async () => 'b');
    expect(log).toEqual(['p1 connect']);
    await slot.close();
    expect(log).toEqual(['p1 connect', 'p1 disconnect']);
  });

  it('replaces a producer after a failure, disconnecting it only once its last send settled', async () => {
    const log: string[] = [];
    let made = 0;
    const slot = new ProducerSlot(async () => fakeProducer(`p${++made}`, log));
    const slow = deferred();
    const stillRetrying = slot.run(() => slow.promise);
    await expect(slot.run(async () => Promise.reject(new Error('broker gone')))).rejects.toThrow('broker gone');

    await slot.run(async () => undefined);
    expect(log).toEqual(['p1 connect', 'p2 connect']);

    slow.resolve();
    await stillRetrying;
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['p1 connect', 'p2 connect', 'p1 disconnect']);
    await slot.close();
    expect(log).toEqual(['p1 connect', 'p2 connect', 'p1 disconnect', 'p2 disconnect']);
  });

  it('replaces a producer that could not connect', async () => {
    const log: string[] = [];
    let made = 0;
    const slot = new ProducerSlot(async () => fakeProducer(`p${++made}`, log, { failConnect: made === 1 }));
    await expect(slot.run(async () => undefined)).rejects.toThrow('unreachable');
    await slot.run(async () => undefined);
    await slot.close();
    // p1's disconnect runs in the background, so only each producer's own order is fixed.
    expect(log.filter((line) => line.startsWith('p1'))).toEqual(['p1 connect', 'p1 disconnect']);
    expect(log.filter((line) => line.startsWith('p2'))).toEqual(['p2 connect', 'p2 disconnect']);
  });

  it('waits on close for sends still in flight', async () => {
    const log: string[] = [];
    const slot = new ProducerSlot(async () => fakeProducer('p1', log));
    const slow = deferred();
    const sending = slot.run(() => slow.promise);
    await new Promise((resolve) => setImmediate(resolve));
    const closing = slot.close();
    expect(log).toEqual(['p1 connect']);
    slow.resolve();
    await Promise.all([sending, closing]);
    expect(log).toEqual(['p1 connect', 'p1 disconnect']);
    await expect(slot.run(async () => undefined)).rejects.toThrow('closed');
  });
});
