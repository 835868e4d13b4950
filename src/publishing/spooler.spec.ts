import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpoolStore } from '../spool/spool-store.js';
import { Batcher, countFitting, type Settlement } from './batcher.js';
import { PublishError, RecordRefusedError, type PublishReceipt } from './event-publisher.js';
import type { KafkaRecord, Outgoing } from './kafka-record.js';
import { Spooler, type SpoolState } from './spooler.js';
import { topicUnavailable } from './topic-problem.js';

const SHAPE = { lingerMs: 1, maxRecords: 100, maxBytes: 1_000_000, sizeOf: () => 100, laneOf: (r: KafkaRecord) => r.topic, laneLimit: () => Infinity };

/**
 * A stand-in for Kafka's answers: it acknowledges, fails, hangs or refuses as the test says,
 * keeps what it took in order, and records every request.
 */
class FakeKafka {
  readonly log: string[] = [];
  readonly requests: string[][] = [];
  mode: 'up' | 'down' | 'hang' = 'up';
  /** Values Kafka refuses for good; topics that do not exist. */
  readonly refused = new Set<string>();
  readonly missingTopics = new Set<string>();
  /** Fails the next n requests as if the broker went away mid-way. */
  failNext = 0;
  private readonly hung: ((error: Error) => void)[] = [];

  send = async (records: readonly KafkaRecord[]): Promise<Settlement<PublishReceipt>[]> => {
    this.requests.push(records.map(valueOf));
    if (this.mode === 'down') throw new PublishError('broker unreachable');
    if (this.failNext > 0) {
      this.failNext--;
      throw new PublishError('connection reset');
    }
    if (this.mode === 'hang') await new Promise<void>((_resolve, reject) => this.hung.push(reject));
    return records.map((record) => {
      if (this.missingTopics.has(record.topic)) return { ok: false, error: topicUnavailable(record.topic, 'topic_missing') };
      if (this.refused.has(valueOf(record))) return { ok: false, error: new RecordRefusedError(record.topic, 'record_too_large', 'too large') };
      this.log.push(`${record.topic === 'dlq' ? 'dlq:' : ''}${valueOf(record)}`);
      return { ok: true, value: { topic: record.topic, spooled: false } };
    });
  };

  /** Fails every hung request. */
  release(): void {
    this.hung.splice(0).forEach((reject) => reject(new PublishError('request timed out')));
  }
}

const valueOf = (record: KafkaRecord): string => String(record.message.value);

function outgoing(value: string, topic = 'orders'): Outgoing {
  const key = value.split('#')[0]!;
  return {
    record: { topic, message: { key, value, headers: { ce_id: value } } },
    fallback: () => ({ topic: 'dlq', message: { key, value: `raw ${value}`, headers: { dlq_reason: 'record_invalid' } } }),
  };
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
  let store: SpoolStore;
  let kafka: FakeKafka;
  let spooler: Spooler;
  let events: string[];
  let perRequest: number;

  const start = async (maxBytes = 1_000_000, stallMs = 60_000): Promise<void> => {
    store = await SpoolStore.open(dir, { maxBytes });
    const batcher = new Batcher<KafkaRecord, PublishReceipt>((records) => kafka.send(records), SHAPE);
    spooler = new Spooler(store, batcher, {
      timeoutMs: 100,
      stallMs,
      send: (records) => kafka.send(records),
      fitting: (records) => Math.min(perRequest, countFitting(records, SHAPE, (record) => record)),
      maxRecords: 100,
      kafkaReachable: async () => kafka.mode === 'up',
      retryDelayMs: 10,
      events: {
        stalled: (state: SpoolState) => events.push(`stalled ${state.records}`),
        resumed: () => events.push('resumed'),
        deadLettered: (refusal) => events.push(`dead-lettered ${refusal.reason}`),
      },
    });
  };

  const stop = async (): Promise<void> => {
    await spooler.stop(1000);
    store.close();
  };

  /** Spools `values` by failing the direct send. */
  const spoolAll = async (values: readonly string[]): Promise<void> => {
    kafka.mode = 'down';
    const receipts = await Promise.all(values.map((value) => spooler.send(outgoing(value))));
    expect(receipts.every((receipt) => receipt.spooled)).toBe(true);
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spooler-'));
    kafka = new FakeKafka();
    events = [];
    perRequest = 100;
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes straight to Kafka while Kafka answers, and leaves the spool empty', async () => {
    await start();
    const receipts = await Promise.all(['1#1', '1#2'].map((value) => spooler.send(outgoing(value))));
    expect(receipts).toEqual([
      { topic: 'orders', spooled: false },
      { topic: 'orders', spooled: false },
    ]);
    expect(kafka.log).toEqual(['1#1', '1#2']);
    expect(store.pendingRecords).toBe(0);
    await stop();
  });

  it('spools what a failed batch held, queues later records behind it, drains in order, then sends directly again', async () => {
    await start();
    await spoolAll(['1#1', '2#1', '1#2']);
    expect(spooler.isHolding).toBe(true);
    // Kafka is back, but the spool is not empty: a new record goes behind it, not around it.
    kafka.mode = 'up';
    await spooler.send(outgoing('1#3'));
    await until(() => !spooler.isHolding);
    expect(kafka.log).toEqual(['1#1', '2#1', '1#2', '1#3']);
    expect(await spooler.send(outgoing('1#4'))).toEqual({ topic: 'orders', spooled: false });
    expect(kafka.log).toEqual(['1#1', '2#1', '1#2', '1#3', '1#4']);
    expect(store.pendingRecords).toBe(0);
    await stop();
  });

  it('spools a record Kafka has not acknowledged within the timeout, with every record sent after it', async () => {
    await start();
    kafka.mode = 'hang';
    const receipts = await Promise.all(['1#1', '1#2', '1#3'].map((value) => spooler.send(outgoing(value))));
    expect(receipts.map((receipt) => receipt.spooled)).toEqual([true, true, true]);
    expect(store.pendingRecords).toBe(3);
    // The drain waits for the batch in flight to settle before it sends anything.
    kafka.mode = 'up';
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(kafka.log).toEqual([]);
    kafka.release();
    await until(() => !spooler.isHolding);
    expect(kafka.log).toEqual(['1#1', '1#2', '1#3']);
    await stop();
  });

  it('answers a record Kafka refuses for good with the refusal, alone: never spooled, its batch-mates published', async () => {
    await start();
    kafka.refused.add('2#1');
    const results = await Promise.allSettled(['1#1', '2#1', '3#1'].map((value) => spooler.send(outgoing(value))));
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RecordRefusedError);
    expect(kafka.log).toEqual(['1#1', '3#1']);
    expect(store.pendingRecords).toBe(0);
    expect(spooler.isHolding).toBe(false);
    await stop();
  });

  it('answers 503 (PublishError) when neither Kafka nor the spool can take a record', async () => {
    await start(1024 * 1024);
    kafka.mode = 'down';
    const big = (n: number): Outgoing => ({ record: { topic: 'orders', message: { key: '1', value: 'x'.repeat(600 * 1024) + n, headers: {} } } });
    expect(await spooler.send(big(1))).toEqual({ topic: 'orders', spooled: true });
    await expect(spooler.send(big(2))).rejects.toBeInstanceOf(PublishError);
    await stop();
  });

  it('drains what an earlier run left in the spool before anything new', async () => {
    await start();
    await spoolAll(['1#1', '1#2']);
    await stop();

    kafka.mode = 'up';
    await start();
    expect(spooler.isHolding).toBe(true);
    const next = await spooler.send(outgoing('1#3'));
    await until(() => !spooler.isHolding);
    expect(next.spooled).toBe(true);
    expect(kafka.log).toEqual(['1#1', '1#2', '1#3']);
    await stop();
  });

  it('sends one drain request at a time and, when one fails, nothing after it until it is retried', async () => {
    perRequest = 2;
    await start();
    await spoolAll(['1#1', '1#2', '1#3', '1#4', '1#5']);
    kafka.requests.length = 0;
    // The second drain request fails: the third must not go out before it is sent again.
    kafka.failNext = 0;
    let sent = 0;
    const original = kafka.send;
    kafka.send = async (records) => {
      if (++sent === 2) {
        kafka.requests.push(records.map(valueOf));
        throw new PublishError('connection reset mid-drain');
      }
      return original(records);
    };
    kafka.mode = 'up';
    await until(() => !spooler.isHolding);
    expect(kafka.requests).toEqual([['1#1', '1#2'], ['1#3', '1#4'], ['1#3'], ['1#4', '1#5']]);
    expect(kafka.log).toEqual(['1#1', '1#2', '1#3', '1#4', '1#5']);
    await stop();
  });

  it('publishes the dead letter of a spooled record Kafka refuses for good, and goes on in order', async () => {
    await start();
    await spoolAll(['1#1', '2#1', '1#2']);
    kafka.refused.add('2#1');
    kafka.mode = 'up';
    await until(() => !spooler.isHolding);
    expect(kafka.log).toEqual(['1#1', '1#2', 'dlq:raw 2#1']);
    expect(events).toEqual(['dead-lettered record_too_large']);
    expect(store.pendingRecords).toBe(0);
    await stop();
  });

  it('stops at a record its topic cannot take, says once that it stalled, and drains again once the topic is there', async () => {
    await start(1_000_000, 100);
    await spoolAll(['1#1', '1#2']);
    kafka.missingTopics.add('orders');
    kafka.mode = 'up';
    await until(() => events.includes('stalled 2'));
    expect(spooler.state).toMatchObject({ records: 2, stalled: true, lastError: expect.stringContaining('Topic orders does not exist') });
    expect(kafka.log).toEqual([]);
    kafka.missingTopics.clear();
    await until(() => !spooler.isHolding);
    expect(kafka.log).toEqual(['1#1', '1#2']);
    expect(events).toEqual(['stalled 2', 'resumed']);
    expect(spooler.state).toMatchObject({ records: 0, stalled: false, oldestAgeSeconds: 0 });
    await stop();
  });

  it('stalls rather than drop a record whose dead letter the dead-letter topic refuses too', async () => {
    await start(1_000_000, 100);
    await spoolAll(['1#1', '2#1', '1#2']);
    kafka.refused.add('2#1');
    kafka.refused.add('raw 2#1');
    kafka.mode = 'up';
    await until(() => events.includes('stalled 2'));
    // 1#1 left the spool; 2#1 and everything after it wait, though 1#2 was written by the
    // request that 2#1 shared. The retries send 2#1 alone, so 1#2 is not written again meanwhile.
    expect(store.pendingRecords).toBe(2);
    expect(kafka.log).toEqual(['1#1', '1#2']);
    expect(kafka.requests.slice(-2)).toEqual([['2#1'], ['raw 2#1']]);
    kafka.refused.delete('raw 2#1');
    await until(() => !spooler.isHolding);
    expect(kafka.log).toEqual(['1#1', '1#2', 'dlq:raw 2#1', '1#2']);
    await stop();
  });
});
