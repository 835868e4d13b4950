import { afterAll, afterEach } from '@jest/globals';
import { Kafka, logLevel, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { decodeEnvelope, encodeEnvelope, formatOf } from '../../src/envelope/envelope-codec.js';
import type { CloudEvent } from '../../src/envelope/envelope.js';
import { envelopeSchemaErrors } from './envelope-schema.js';
import { TEST_BROKER } from './test-broker.mjs';

export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  /**
   * An event record's envelope, decoded from whichever format its content-type names, as JSON
   * data; a dead letter's value as JSON (null when it is not JSON). `raw` is the exact bytes.
   */
  readonly value: Record<string, unknown>;
  readonly raw: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * Reads topics back from the beginning, as a downstream consumer would, and keeps every record
 * so a test can wait for the ones it expects.
 *
 * Every event record (anything but a dead letter, whose value is the request body as received)
 * is checked as a consumer relies on it: its value decodes by its content-type, the envelope
 * validates against docs/schemas/status-changed-event.schema.json, the value is exactly what
 * the relay's codec writes for that envelope, and the key and `ce_` headers agree with it. A
 * record that fails fails the test that read it: `waitFor` throws at once, and otherwise the
 * check this module registers after each test (and after the file's last hook) does.
 */
export class KafkaReader {
  readonly records: ReadRecord[] = [];
  /** Why records read so far break the contract, one entry per record. */
  readonly violations: string[] = [];
  private reported = 0;
  private readonly consumer: Consumer;

  private constructor(kafka: Kafka) {
    // Never creates a topic by subscribing to it: the test broker auto-creates topics on request.
    this.consumer = kafka.consumer({ groupId: `e2e-reader-${randomUUID()}`, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  }

  /** Reads `topics` of the test broker, or of the broker at `brokers` (a suite's own). */
  static async start(topics: readonly string[], brokers: readonly string[] = [TEST_BROKER]): Promise<KafkaReader> {
    const kafka = new Kafka({ clientId: 'e2e-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
    const reader = new KafkaReader(kafka);
    readers.add(reader);
    await reader.consumer.connect();
    try {
      await subscribeOnceKnown(reader.consumer, topics);
      await reader.consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          reader.records.push(reader.check(topic, partition, message));
        },
      });
    } catch (error) {
      // Not left connected: an open consumer would keep Jest from exiting.
      await reader.consumer.disconnect();
      throw error;
    }
    return reader;
  }

  /** Waits until `count` records of a topic have arrived, then returns all of them. */
  async waitFor(topic: string, count: number, timeoutMs = 30_000): Promise<ReadRecord[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.throwViolations();
      const found = this.records.filter((record) => record.topic === topic);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`${found.length} of ${count} records on ${topic} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /**
   * Waits until every record of `topic` whose `pick` is one of `wanted` has arrived (event ids,
   * say): unlike a count, this is not fooled by duplicates, which at-least-once allows.
   */
  async waitForAll(topic: string, wanted: Iterable<string>, pick: (record: ReadRecord) => string, timeoutMs = 60_000): Promise<ReadRecord[]> {
    const missing = new Set(wanted);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.throwViolations();
      const found = this.records.filter((record) => record.topic === topic);
      for (const record of found) missing.delete(pick(record));
      if (missing.size === 0) return found;
      if (Date.now() > deadline) throw new Error(`${missing.size} record(s) still missing on ${topic} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Disconnects. Violations found until then are still reported after the test. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  /** Throws the violations not reported yet, once. */
  throwViolations(): void {
    if (this.violations.length === this.reported) return;
    const fresh = this.violations.slice(this.reported);
    this.reported = this.violations.length;
    throw new Error(`${fresh.length} record(s) read from Kafka break the envelope contract:\n\n${fresh.join('\n\n')}`);
  }

  private check(topic: string, partition: number, message: KafkaMessage): ReadRecord {
    const raw = message.value ?? Buffer.alloc(0);
    const headers = stringHeaders(message.headers);
    const key = message.key?.toString('utf8') ?? '';
    const at = `${topic} ${partition}/${message.offset}`;
    // A dead letter (dead-letter/dead-letter.ts) keeps the request body as its value.
    if (headers['dlq_reason'] !== undefined) return { topic, partition, offset: message.offset, key, value: parseJson(raw), raw, headers };

    const problems = envelopeProblems(raw, headers, key);
    if (problems.errors.length > 0) {
      this.violations.push(
        `${at}, content-type ${JSON.stringify(headers['content-type'])}:\n  ${problems.errors.join('\n  ')}\n  value: ${problems.shown}`,
      );
    }
    return { topic, partition, offset: message.offset, key, value: problems.envelope ?? parseJson(raw), raw, headers };
  }
}

/** What a consumer relying on docs/contract.md would find wrong with one event record. */
function envelopeProblems(
  raw: Buffer,
  headers: Record<string, string>,
  key: string,
): { errors: string[]; envelope?: Record<string, unknown>; shown: string } {
  const contentType = headers['content-type'];
  const shown = printable(raw);
  if (contentType === undefined) return { errors: ['no content-type header'], shown };
  let event: CloudEvent;
  try {
    event = decodeEnvelope(raw, contentType);
  } catch (error) {
    return { errors: [`does not decode: ${(error as Error).message}`], shown };
  }
  const format = formatOf(contentType);
  // The JSON as a consumer parses it (decoding would drop members the schema forbids), or the
  // protobuf envelope as the JSON format would write it.
  const json = (format === 'json' ? JSON.parse(raw.toString('utf8')) : JSON.parse(JSON.stringify(event))) as Record<string, unknown>;
  const errors = envelopeSchemaErrors(json).map((error) => `schema: ${error}`);
  const encoded = encodeEnvelope(event, format);
  if (encoded.contentType !== contentType) errors.push(`content-type is not ${JSON.stringify(encoded.contentType)}`);
  if (!Buffer.from(encoded.value).equals(raw)) errors.push(`the value is not what the codec writes for its envelope (unknown fields, or another encoding)`);
  if (key !== event.partitionkey) errors.push(`key ${JSON.stringify(key)} is not partitionkey ${JSON.stringify(event.partitionkey)}`);
  const ce = { ce_id: event.id, ce_type: event.type, ce_source: event.source, ce_specversion: event.specversion };
  for (const [name, expected] of Object.entries(ce)) {
    if (headers[name] !== expected) errors.push(`header ${name} ${JSON.stringify(headers[name])} is not ${JSON.stringify(expected)}`);
  }
  return { errors, envelope: json, shown: format === 'json' ? shown : `${shown}\n  decoded: ${JSON.stringify(event)}` };
}

/** The value as text when it is text, else as hex (a protobuf value, or bytes mislabelled). */
function printable(raw: Buffer): string {
  const text = raw.toString('utf8');
  return isUtf8(raw) && !/[\u0000-\u0008\u000e-\u001f]/.test(text) ? text : `0x${raw.toString('hex')}`;
}

// Every reader a test file starts, so the checks below see the records all of them read.
const readers = new Set<KafkaReader>();

function reportViolations(): void {
  const failures: string[] = [];
  for (const reader of readers) {
    try {
      reader.throwViolations();
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (failures.length > 0) throw new Error(failures.join('\n\n'));
}

// Registered at the top level of every test file that imports the reader: after each test the
// records it read are checked, so a bad one fails that test (the file's own afterAll hooks still
// run and close what it opened); the last check catches records that arrived after the last test.
afterEach(reportViolations);
afterAll(reportViolations);

function parseJson(value: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(value.toString('utf8')) as Record<string, unknown>;
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

/**
 * A topic the relay has just created may not be in every broker's metadata yet, and kafkajs
 * does not retry `subscribe` on UNKNOWN_TOPIC_OR_PARTITION (Kafka protocol error 3): retry it
 * for a few seconds before failing.
 */
async function subscribeOnceKnown(consumer: Consumer, topics: readonly string[]): Promise<void> {
  for (const deadline = Date.now() + 10_000; ; ) {
    try {
      return await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    } catch (error) {
      if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
