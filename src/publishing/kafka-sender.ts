import type { Settlement } from './batcher.js';
import { PublishError, RecordRefusedError, type PublishReceipt } from './event-publisher.js';
import { classifyKafkaError, type KafkaFailure } from './kafka-failure.js';
import { byTopic, type KafkaRecord } from './kafka-record.js';
import type { ProducerSlot } from './producer-slot.js';
import { topicUnavailable } from './topic-problem.js';

export interface KafkaSenderOptions {
  /** PUBLISH_TIMEOUT_MS: how long the broker may take when the caller set no deadline. */
  readonly timeoutMs: number;
  /** Called after every produce request, with its size and how it ended. */
  readonly onRequest?: (records: number, failure: KafkaFailure | undefined) => void;
}

/**
 * Produce requests, with one outcome per record (the shape of franz-go's kgo: one refused
 * record fails alone, never its batch-mates).
 *
 * Kafka writes each partition of a produce request on its own, but kafkajs reports a request
 * that one partition refused as a single error. When that error is about a record or a topic
 * rather than the connection (publishing/kafka-failure.ts), the records are sent again, each
 * topic on its own and, where a record was refused, in halves down to that record, in their
 * order, so that exactly the refused records fail. Records of the first request that were written
 * anyway are written again then: duplicates with the same event id, never a record of a key
 * after a later one, because a topic's records go out in order and the next batch waits.
 *
 * Every request carries the time left before the caller's deadline as its `timeout`, so the
 * broker never waits for acks longer than the caller does (Produce request, timeout_ms).
 */
export class KafkaSender {
  constructor(
    private readonly producers: ProducerSlot,
    private readonly options: KafkaSenderOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Sends `records` before `deadline` (ms since the epoch, or Infinity for PUBLISH_TIMEOUT_MS
   * from now). Settles every record, or rejects with a PublishError when Kafka could not be
   * reached at all.
   */
  async send(records: readonly KafkaRecord[], deadline = Number.POSITIVE_INFINITY): Promise<Settlement<PublishReceipt>[]> {
    const until = Number.isFinite(deadline) ? deadline : this.now() + this.options.timeoutMs;
    const failure = await this.produce(records, until);
    if (failure === undefined) return records.map(acknowledged);
    if (failure.kind === 'transient') throw new PublishError(`Kafka did not acknowledge the record: ${failure.message}`);
    return this.isolate(records, failure, until);
  }

  /** Sends `records` again, and isolates what fails. */
  private async attempt(records: readonly KafkaRecord[], until: number): Promise<Settlement<PublishReceipt>[]> {
    const failure = await this.produce(records, until);
    return failure === undefined ? records.map(acknowledged) : this.isolate(records, failure, until);
  }

  /**
   * Settles `records`, whose request failed with `failure`. Kafka does not say which partition
   * refused, so a request of several topics is split by topic (independent logs, each in its
   * order), and one topic's by `halve`.
   */
  private async isolate(records: readonly KafkaRecord[], failure: KafkaFailure, until: number): Promise<Settlement<PublishReceipt>[]> {
    const indicesByTopic = new Map<string, number[]>();
    records.forEach(({ topic }, index) => indicesByTopic.set(topic, [...(indicesByTopic.get(topic) ?? []), index]));
    if (indicesByTopic.size === 1) return this.halve(records, failure, until);
    const results: Settlement<PublishReceipt>[] = new Array(records.length);
    for (const indices of indicesByTopic.values()) {
      const settled = await this.attempt(
        indices.map((index) => records[index]!),
        until,
      );
      indices.forEach((recordIndex, k) => (results[recordIndex] = settled[k]!));
    }
    return results;
  }

  /**
   * One topic's records, whose request failed: where Kafka refused a record, half by half
   * (oldest half first) down to that record, so k refused records among n cost about
   * 2·k·log2(n) requests. Past a failure that is not about a record itself, the rest is not
   * sent: that would put a later record of a key before an earlier one that is yet to go.
   */
  private async halve(records: readonly KafkaRecord[], failure: KafkaFailure, until: number): Promise<Settlement<PublishReceipt>[]> {
    if (failure.kind !== 'record' || records.length === 1) return records.map((record) => refused(record, failure));
    const middle = Math.ceil(records.length / 2);
    const older = await this.attempt(records.slice(0, middle), until);
    const stop = older.find((result) => !result.ok && !(result.error instanceof RecordRefusedError));
    const newer = stop ? records.slice(middle).map(() => stop) : await this.attempt(records.slice(middle), until);
    return [...older, ...newer];
  }

  /** One produce request (acks=all); what went wrong, or undefined once acknowledged. */
  private async produce(records: readonly KafkaRecord[], until: number): Promise<KafkaFailure | undefined> {
    const timeout = until - this.now();
    if (timeout <= 0) return { kind: 'transient', message: 'the deadline passed before the record was sent' };
    let failure: KafkaFailure | undefined;
    try {
      await this.producers.run((producer) => producer.sendBatch({ acks: -1, timeout, topicMessages: byTopic(records) }));
    } catch (error) {
      failure = classifyKafkaError(error);
    }
    this.options.onRequest?.(records.length, failure);
    return failure;
  }
}

function acknowledged({ topic }: KafkaRecord): Settlement<PublishReceipt> {
  return { ok: true, value: { topic, spooled: false } };
}

function refused({ topic }: KafkaRecord, failure: KafkaFailure): Settlement<PublishReceipt> {
  switch (failure.kind) {
    case 'record':
      return { ok: false, error: new RecordRefusedError(topic, failure.reason, `Kafka refused the record for topic ${topic} (${failure.code}): ${failure.message}`) };
    case 'topic':
      return { ok: false, error: topicUnavailable(topic, failure.reason, failure.code) };
    case 'transient':
      return { ok: false, error: new PublishError(`Kafka did not acknowledge the record: ${failure.message}`) };
  }
}
