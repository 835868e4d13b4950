import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolLog } from '../spool/spool-log.js';
import { Batcher } from './batcher.js';
import { PublishError, type PublishReceipt } from './event-publisher.js';
import type { KafkaRecord } from './kafka-record.js';
import { Spooler } from './spooler.js';

const LIMITS = { lingerMs: 1, maxRecords: 100, maxBytes: 1_000_000 };

/** A stand-in for Kafka: it acknowledges, fails or hangs as the test says, and keeps what it took. */
class FakeKafka {
  readonly log: string[] = [];
  mode: 'up' | 'down' | 'hang' = 'up';
  private readonly hung: ((error: Error) => void)[] = [];

  send = async (records: KafkaRecord[]): Promise<PublishReceipt[]> => {
    if (this.mode === 'down') throw new Error('broker unreachable');
    if (this.mode === 'hang') await new Promise<void>((_resolve, reject) => this.hung.push(reject));
    this.log.push(...records.map((record) => String(record.message.value)));
    return records.map(({ topic }) => ({ topic, spooled: false }));
  };

  /** Fails every hung request. */
  release(): void {
    this.hung.splice(0).forEach((reject) => reject(new Error('request timed out')));
  }
}

function record(value: string): KafkaRecord {
  return { topic: 'orders', message: { key: value.split('#')[0]!, value, headers: { ce_id: value } } };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('Spooler', () => {
  let dir: string;
  let log: SpoolLog;
  let kafka: FakeKafka;
  let spooler: Spooler;

  const start = async (maxBytes = 1_000_000): Promise<void> => {
    log = await SpoolLog.open(dir, { maxBytes });
    const batcher = new Batcher<KafkaRecord, PublishReceipt>(kafka.send, LIMITS, () => 100);
    spooler = new Spooler(log, batcher, {
      timeoutMs: 100,
      drainBatch: LIMITS,
      kafkaReachable: async () => kafka.mode === 'up',
      retryDelayMs: 10,
    });
  };

  const stop = async (): Promise<void> => {
    await spooler.stop(1000);
    await log.close();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spooler-'));
    kafka = new FakeKafka();
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes straight to Kafka while Kafka answers, and leaves the spool empty', async () => {
    await start();
    const receipts = await Promise.all(['1#1', '1#2'].map((value) => spooler.send(record(value))));
    expect(receipts).toEqual([
      { topic: 'orders', spooled: false },
      { topic: 'orders', spooled: false },
    ]);
    expect(kafka.log).toEqual(['1#1', '1#2']);
    expect(log.pendingRecords).toBe(0);
    await stop();
  });

  it('spools what a failed batch held, queues later records behind it, drains in order, then sends directly again', async () => {
    await start();
    kafka.mode = 'down';
    const first = await Promise.all(['1#1', '2#1', '1#2'].map((value) => spooler.send(record(value))));
    expect(first.every((receipt) => receipt.spooled)).toBe(true);
    expect(spooler.isHolding).toBe(true);
    // Kafka is back, but the spool is not empty: a new record goes behind it, not around it.
    kafka.mode = 'up';
    const behind = await spooler.send(record('1#3'));
    await until(() => !spooler.isHolding);
    expect(kafka.log).toEqual(['1#1', '2#1', '1#2', '1#3']);
    expect(behind.spooled || kafka.log.indexOf('1#3') === 3).toBe(true);
    expect(await spooler.send(record('1#4'))).toEqual({ topic: 'orders', spooled: false });
    expect(kafka.log).toEqual(['1#1', '2#1', '1#2', '1#3', '1#4']);
    expect(log.pendingRecords).toBe(0);
    await stop();
  });

  it('spools a record Kafka has not acknowledged within the timeout, with every record sent after it', async () => {
    await start();
    kafka.mode = 'hang';
    const sent = ['1#1', '1#2', '1#3'].map((value) => spooler.send(record(value)));
    const receipts = await Promise.all(sent);
    expect(receipts.map((receipt) => receipt.spooled)).toEqual([true, true, true]);
    // The batch in flight fails late; the spool holds all three, in order.
    expect(log.pendingRecords).toBe(3);
    kafka.mode = 'up';
    kafka.release();
    await until(() => !spooler.isHolding);
    expect(kafka.log).toEqual(['1#1', '1#2', '1#3']);
    await stop();
  });

  it('answers 503 (PublishError) when neither Kafka nor the spool can take a record', async () => {
    await start(1024 * 1024);
    kafka.mode = 'down';
    const big = (n: number): KafkaRecord => ({ topic: 'orders', message: { key: '1', value: 'x'.repeat(600 * 1024) + n, headers: {} } });
    expect(await spooler.send(big(1))).toEqual({ topic: 'orders', spooled: true });
    await expect(spooler.send(big(2))).rejects.toBeInstanceOf(PublishError);
    await stop();
  });

  it('drains what an earlier run left in the spool before anything new', async () => {
    await start();
    kafka.mode = 'down';
    await Promise.all(['1#1', '1#2'].map((value) => spooler.send(record(value))));
    await stop();

    kafka.mode = 'up';
    await start();
    expect(spooler.isHolding).toBe(true);
    const next = await spooler.send(record('1#3'));
    await until(() => !spooler.isHolding);
    expect(next.spooled).toBe(true);
    expect(kafka.log).toEqual(['1#1', '1#2', '1#3']);
    await stop();
  });
});
