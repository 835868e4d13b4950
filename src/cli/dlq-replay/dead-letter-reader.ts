import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** One record of the dead-letter topic and where it sits. */
export interface DeadLetterEntry {
  readonly partition: number;
  readonly offset: string;
  readonly message: KafkaMessage;
}

/** The dead-letter topic is not in the cluster: most likely KAFKA_TOPIC_DLQ names another one. */
export class MissingTopicError extends Error {
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist`);
    this.name = 'MissingTopicError';
  }
}

/**
 * Reads `topic` from its earliest offset up to the high watermarks it has when the read starts,
 * then stops: records appended meanwhile (the relay keeps writing) are left for the next run,
 * so the read always ends. `each` gets the records of one fetched batch of one partition, in
 * offset order, and the next batch waits for it; if it throws, the read stops and rejects.
 *
 * kafkajs consumes only through a group, so the group is a throwaway one (a random id) and no
 * offset is ever committed: the read leaves no trace in the cluster and every run starts again
 * from the beginning.
 */
export async function readDeadLetters(
  kafka: Kafka,
  topic: string,
  each: (entries: readonly DeadLetterEntry[]) => Promise<void>,
): Promise<void> {
  const ends = await highWatermarks(kafka, topic);
  // Partitions that still hold records this read must reach; empty ones are done already.
  const pending = new Set([...ends].filter(([, range]) => range.low < range.high).map(([partition]) => partition));
  if (pending.size === 0) return;

  const consumer = kafka.consumer({
    groupId: `dropea-relay-dlq-replay-${randomUUID()}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 500,
    // A one-off read fails rather than rejoining forever; the caller reports the error.
    retry: { retries: 5, restartOnFailure: async () => false },
  });
  let failure: unknown;
  let settle!: { resolve: () => void; reject: (error: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // A crash can come before `finished` is awaited; it is still reported there.
  finished.catch(() => undefined);
  const fail = (error: unknown): void => {
    failure ??= error;
    settle.reject(error);
  };
  const advance = (partition: number, next: bigint): void => {
    const end = ends.get(partition)?.high;
    if (end === undefined || next < end || !pending.delete(partition)) return;
    // Nothing past the end is needed; the fetches of this partition can stop.
    consumer.pause([{ topic, partitions: [partition] }]);
    if (pending.size === 0) settle.resolve();
  };

  // Progress comes from the end of each batch rather than from the records handed to `each`:
  // a batch of only transaction markers or compacted-away records still moves the offset.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic) advance(payload.partition, BigInt(payload.lastOffset) + 1n);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => fail(payload.error));

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition)?.high;
        if (failure !== undefined || end === undefined || !pending.has(batch.partition)) return;
        const entries = batch.messages
          .filter((message) => BigInt(message.offset) < end)
          .map((message) => ({ partition: batch.partition, offset: message.offset, message }));
        try {
          if (entries.length > 0) await each(entries);
        } catch (error) {
          // Not thrown to kafkajs, which would fetch the batch again and call `each` twice.
          fail(error);
        }
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
}

interface OffsetRange {
  readonly low: bigint;
  readonly high: bigint;
}

async function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, OffsetRange>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Asked first: fetchTopicOffsets would retry an unknown topic for as long as its retries last.
    if (!(await admin.listTopics()).includes(topic)) throw new MissingTopicError(topic);
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map(({ partition, low, high }) => [partition, { low: BigInt(low), high: BigInt(high) }]));
  } finally {
    await admin.disconnect();
  }
}
