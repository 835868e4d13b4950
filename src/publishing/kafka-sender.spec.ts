import { describe, expect, it } from '@jest/globals';
import type { Producer, ProducerBatch } from 'kafkajs';
import { createRequire } from 'node:module';
import { PublishError, RecordRefusedError, TopicUnavailableError } from './event-publisher.js';
import { KafkaSender } from './kafka-sender.js';
import type { KafkaRecord } from './kafka-record.js';
import { ProducerSlot } from './producer-slot.js';

const require = createRequire(import.meta.url);
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode: (code: number) => Error };

/**
 * Kafka as kafkajs reports it: a request is written partition by partition (here, one
 * partition per key), and a partition that refuses its batch fails the whole request while the
 * others are written anyway. Values starting with `big` are too large; topics in `missing`
 * do not exist; `down` fails every request before anything is written.
 */
class FakeBroker {
  readonly log: string[] = [];
  readonly requests: { values: string[]; timeout: number | undefined }[] = [];
  readonly missing = new Set<string>();
  down = false;

  producer(): Producer {
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: async ({ topicMessages = [], timeout }: ProducerBatch) => {
        const values = topicMessages.flatMap(({ messages }) => messages.map((m) => String(m.value)));
        this.requests.push({ values, timeout });
        if (this.down) throw new Error('Connection error: ECONNREFUSED');
        let failure: Error | undefined;
        for (const { topic, messages } of topicMessages) {
          if (this.missing.has(topic)) {
            failure ??= createErrorFromCode(3);
            continue;
          }
          const byKey = new Map<string, string[]>();
          for (const m of messages) byKey.set(String(m.key), [...(byKey.get(String(m.key)) ?? []), String(m.value)]);
          for (const batch of byKey.values()) {
            if (batch.some((value) => value.startsWith('big'))) failure ??= createErrorFromCode(10);
            else this.log.push(...batch);
          }
        }
        if (failure) throw failure;
        return [];
      },
    } as unknown as Producer;
  }
}

const record = (value: string, topic = 'orders'): KafkaRecord => ({ topic, message: { key: value.split('#')[0]!, value } });

function sender(broker: FakeBroker, now = () => 0): KafkaSender {
  return new KafkaSender(new ProducerSlot(async () => broker.producer()), { timeoutMs: 5000 }, now);
}

describe('KafkaSender', () => {
  it('acknowledges every record of a request Kafka took, with the time left as the request timeout', async () => {
    const broker = new FakeBroker();
    const results = await sender(broker).send([record('1#1'), record('2#1')], 1500);
    expect(results).toEqual([
      { ok: true, value: { topic: 'orders', spooled: false } },
      { ok: true, value: { topic: 'orders', spooled: false } },
    ]);
    expect(broker.requests).toEqual([{ values: ['1#1', '2#1'], timeout: 1500 }]);
  });

  it('uses PUBLISH_TIMEOUT_MS as the request timeout when the caller has no deadline', async () => {
    const broker = new FakeBroker();
    await sender(broker).send([record('1#1')]);
    expect(broker.requests[0]!.timeout).toBe(5000);
  });

  it('fails only the record Kafka refuses; the others are acknowledged, each key in order', async () => {
    const broker = new FakeBroker();
    const results = await sender(broker).send([record('1#1'), record('big#1'), record('2#1'), record('1#2'), record('d#1', 'dlq')], 5000);
    expect(results.map((result) => result.ok)).toEqual([true, false, true, true, true]);
    expect((results[1] as { error: unknown }).error).toBeInstanceOf(RecordRefusedError);
    expect((results[1] as { error: RecordRefusedError }).error).toMatchObject({ topic: 'orders', reason: 'record_too_large' });
    // Written once by the first request (other partitions), once more one by one: duplicates,
    // never a later record of a key before an earlier one.
    const firsts = [...new Set(broker.log)];
    expect(firsts.indexOf('1#1')).toBeLessThan(firsts.indexOf('1#2'));
    expect(new Set(broker.log)).toEqual(new Set(['1#1', '2#1', '1#2', 'd#1']));
  });

  it("fails a missing topic's records with the topic's problem, and publishes the other topic's", async () => {
    const broker = new FakeBroker();
    broker.missing.add('incidences');
    const results = await sender(broker).send([record('1#1'), record('5#1', 'incidences'), record('2#1')], 5000);
    expect(results.map((result) => result.ok)).toEqual([true, false, true]);
    const error = (results[1] as { error: TopicUnavailableError }).error;
    expect(error).toBeInstanceOf(TopicUnavailableError);
    expect(error.message).toMatch(/Topic incidences does not exist.*KAFKA_CREATE_TOPICS=true/);
  });

  it('rejects the whole request when Kafka could not be reached: nothing is known of any record', async () => {
    const broker = new FakeBroker();
    broker.down = true;
    await expect(sender(broker).send([record('1#1'), record('2#1')], 5000)).rejects.toBeInstanceOf(PublishError);
  });

  it('sends nothing once the deadline has passed', async () => {
    const broker = new FakeBroker();
    await expect(sender(broker, () => 10_000).send([record('1#1')], 5000)).rejects.toBeInstanceOf(PublishError);
    expect(broker.requests).toEqual([]);
  });

  it('finds one refused record among many in halves, not one request per record', async () => {
    const broker = new FakeBroker();
    const records = Array.from({ length: 64 }, (_, i) => record(i === 41 ? `big#${i}` : `${i % 8}#${i}`));
    const results = await sender(broker).send(records, 5000);
    expect(results.filter((result) => !result.ok)).toHaveLength(1);
    expect(results[41]!.ok).toBe(false);
    // The first request, then about 2 requests per halving: log2(64) = 6.
    expect(broker.requests.length).toBeLessThanOrEqual(1 + 2 * 6 + 1);
  });

  it('stops sending a topic once Kafka goes away mid-way: nothing after a record that could not be sent', async () => {
    const broker = new FakeBroker();
    const records = [record('1#1'), record('big#1'), record('1#2'), record('1#3')];
    const original = broker.producer.bind(broker);
    let requests = 0;
    broker.producer = () => {
      const producer = original();
      const sendBatch = producer.sendBatch.bind(producer);
      // Kafka goes away after two requests (the whole batch, then its older half).
      producer.sendBatch = async (batch) => {
        if (++requests > 2) broker.down = true;
        return sendBatch(batch);
      };
      return producer;
    };
    const results = await sender(broker).send(records, 5000);
    // 1#1 could not be sent: the records after it are not sent either, and fail with it.
    expect(results.map((result) => (result.ok ? 'ok' : (result.error as Error).name))).toEqual([
      'PublishError',
      'PublishError',
      'PublishError',
      'PublishError',
    ]);
    expect(broker.requests.map((request) => request.values)).toEqual([
      ['1#1', 'big#1', '1#2', '1#3'],
      ['1#1', 'big#1'],
      ['1#1'],
    ]);
  });
});
