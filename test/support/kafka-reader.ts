import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { TEST_BROKER } from './test-broker.mjs';

export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  /** The value as JSON (null when it is not JSON) and as the exact bytes. */
  readonly value: Record<string, unknown>;
  readonly raw: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * Reads topics back from the beginning, as a downstream consumer would, and keeps every record
 * so a test can wait for the ones it expects.
 */
export class KafkaReader {
  readonly records: ReadRecord[] = [];
  private readonly consumer: Consumer;

  private constructor(kafka: Kafka) {
    this.consumer = kafka.consumer({ groupId: `e2e-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  }

  static async start(topics: readonly string[]): Promise<KafkaReader> {
    const kafka = new Kafka({ clientId: 'e2e-reader', brokers: [TEST_BROKER], logLevel: logLevel.NOTHING });
    const reader = new KafkaReader(kafka);
    await reader.consumer.connect();
    await reader.consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await reader.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        reader.records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? '',
          value: parseJson(message.value),
          raw: message.value ?? Buffer.alloc(0),
          headers: stringHeaders(message.headers),
        });
      },
    });
    return reader;
  }

  /** Waits until `count` records of a topic have arrived, then returns all of them. */
  async waitFor(topic: string, count: number, timeoutMs = 30_000): Promise<ReadRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.filter((record) => record.topic === topic);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`${found.length} of ${count} records on ${topic} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

function parseJson(value: Buffer | null): Record<string, unknown> {
  try {
    return JSON.parse(value?.toString('utf8') ?? 'null') as Record<string, unknown>;
  } catch {
    return null as unknown as Record<string, unknown>;
  }
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value ?? '');
  }
  return out;
}
