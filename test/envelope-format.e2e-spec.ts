import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { equals, fromBinary, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeEnvelope, encodeProtobuf } from '../src/envelope/envelope-codec.js';
import { PROTOBUF_CONTENT_TYPE } from '../src/envelope/envelope-format.js';
import { StatusChangedEventSchema } from '../src/envelope/gen/dropea/relay/v1/envelope_pb.js';
import { deadLetterRecord, toKafkaRecord } from '../src/publishing/kafka-record.js';
import { envelopeOf } from './support/envelopes.js';
import { loadFixtures } from './support/fixtures.js';
import { post } from './support/http.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { TEST_BROKER } from './support/test-broker.mjs';

/** The built CLI, as `npm run dlq:replay` runs it (`npm test` builds before Jest starts). */
const REPLAY_CLI = fileURLToPath(new URL('../dist/cli/dlq-replay/main.js', import.meta.url));
const fixtures = loadFixtures();
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A record's envelope as JSON data, with received_at (the one fact two relays cannot share) blanked. */
function withoutReceipt(envelope: Record<string, unknown>): Record<string, unknown> {
  return { ...envelope, data: { ...(envelope['data'] as Record<string, unknown>), received_at: '' } };
}

describe('ENVELOPE_FORMAT=protobuf', () => {
  const jsonTopics = uniqueTopics('format-json');
  const protobufTopics = uniqueTopics('format-protobuf');
  let jsonRelay: RunningRelay;
  let protobufRelay: RunningRelay;
  let reader: KafkaReader;

  beforeAll(async () => {
    [jsonRelay, protobufRelay] = await Promise.all([startRelay(jsonTopics), startRelay({ ...protobufTopics, ENVELOPE_FORMAT: 'protobuf' })]);
    reader = await KafkaReader.start([
      jsonTopics.KAFKA_TOPIC_ORDERS!,
      jsonTopics.KAFKA_TOPIC_INCIDENCES!,
      protobufTopics.KAFKA_TOPIC_ORDERS!,
      protobufTopics.KAFKA_TOPIC_INCIDENCES!,
    ]);
  });

  afterAll(async () => {
    await reader?.stop();
    await jsonRelay?.close();
    await protobufRelay?.close();
  });

  it('publishes each fixture as the protobuf envelope, labelled as such, equal to the JSON envelope the relay writes for the same webhook', async () => {
    const startedAt = Date.now();
    const published: string[] = [];
    for (const fixture of fixtures) {
      const headers = { traceparent };
      const [json, protobuf] = await Promise.all([
        post(`${jsonRelay.url}${fixture.route}`, fixture.raw, { headers }),
        post(`${protobufRelay.url}${fixture.route}`, fixture.raw, { headers }),
      ]);
      // The same answer, and the same event id, whatever the format.
      expect({ file: fixture.file, protobuf: protobuf.status, id: protobuf.body['id'] }).toEqual({ file: fixture.file, protobuf: json.status, id: json.body['id'] });
      if (protobuf.status === 202) published.push(protobuf.body['id'] as string);
    }
    const finishedAt = Date.now();
    // Seven fixtures, six events: two spell one state change differently.
    expect(published).toHaveLength(6);

    const orders = fixtures.filter((f) => f.route.endsWith('orders')).length;
    await reader.waitFor(protobufTopics.KAFKA_TOPIC_ORDERS!, orders);
    await reader.waitFor(protobufTopics.KAFKA_TOPIC_INCIDENCES!, published.length - orders);
    await reader.waitFor(jsonTopics.KAFKA_TOPIC_ORDERS!, orders);
    await reader.waitFor(jsonTopics.KAFKA_TOPIC_INCIDENCES!, published.length - orders);

    const protobufTopicNames = new Set([protobufTopics.KAFKA_TOPIC_ORDERS, protobufTopics.KAFKA_TOPIC_INCIDENCES]);
    const recordOf = (id: string, protobuf: boolean): ReadRecord => {
      const mine = reader.records.filter((record) => protobufTopicNames.has(record.topic) === protobuf && record.headers['ce_id'] === id);
      expect(mine).toHaveLength(1);
      return mine[0]!;
    };

    for (const id of published) {
      const json = recordOf(id, false);
      const protobuf = recordOf(id, true);

      expect(protobuf.headers['content-type']).toBe('application/protobuf; proto=dropea.relay.v1.StatusChangedEvent');
      expect(json.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      expect({ ...protobuf.headers, 'content-type': '' }).toEqual({ ...json.headers, 'content-type': '' });
      expect(protobuf.headers['traceparent']).toBe(traceparent);
      expect(protobuf.key).toBe(json.key);
      expect(protobuf.partition).toBe(json.partition);
      expect(protobuf.topic.endsWith(json.topic.endsWith('.orders') ? '.orders' : '.incidences')).toBe(true);

      // A consumer with the generated code reads the value as the message, and the JSON
      // record through a proto3 JSON parser as the same message.
      const message = fromBinary(StatusChangedEventSchema, protobuf.raw);
      const jsonEnvelope = JSON.parse(json.raw.toString('utf8')) as Record<string, unknown>;
      const receivedAt = message.data!.receivedAt;
      const asMessage = fromJson(StatusChangedEventSchema, { ...jsonEnvelope, data: { ...(jsonEnvelope['data'] as object), received_at: receivedAt } } as JsonValue);
      expect(equals(StatusChangedEventSchema, message, asMessage)).toBe(true);
      expect(message.id).toBe(id);
      expect(message.data!.entityId).toBe(BigInt(json.key));

      // Decoded, it is the JSON envelope member for member.
      const decoded = decodeEnvelope(protobuf.raw, protobuf.headers['content-type']);
      expect(withoutReceipt(decoded as unknown as Record<string, unknown>)).toEqual(withoutReceipt(jsonEnvelope));
      expect(Date.parse(receivedAt)).toBeGreaterThanOrEqual(startedAt);
      expect(Date.parse(receivedAt)).toBeLessThanOrEqual(finishedAt);
    }
  });

  it('has npm run dlq:replay publish in the configured format too', async () => {
    const body = { topic: 'order:status_update', order_id: 777001, prev_status: 'pending', new_status: 'confirmed', updated_at: '2025-05-29 14:14:58' };
    const receivedAt = new Date('2026-11-22T10:00:00.123Z');
    const kafkaTopics = {
      orders: protobufTopics.KAFKA_TOPIC_ORDERS!,
      incidences: protobufTopics.KAFKA_TOPIC_INCIDENCES!,
      deadLetter: protobufTopics.KAFKA_TOPIC_DLQ!,
    };
    // What the relay wrote when the webhook's topic was unknown to it; it passes now.
    const letter = deadLetterRecord(
      {
        reason: 'unknown_topic',
        errors: [],
        body: Buffer.from(JSON.stringify(body)),
        contentType: 'application/json',
        route: '/webhooks/dropea',
        receivedAt,
        signature: 'valid',
        trace: {},
        entityId: body.order_id,
      },
      kafkaTopics,
    );
    const producer = new Kafka({ clientId: 'e2e-envelope-format', brokers: [TEST_BROKER], logLevel: logLevel.NOTHING }).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      await producer.send({ topic: letter.topic, acks: -1, messages: [letter.message] });
    } finally {
      await producer.disconnect();
    }

    const { stdout } = await promisify(execFile)(process.execPath, [REPLAY_CLI, '--apply', '--json'], {
      env: { PATH: process.env['PATH'] ?? '', KAFKA_BROKERS: TEST_BROKER, ...protobufTopics, ENVELOPE_FORMAT: 'protobuf' },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toMatchObject({ complete: true, summary: { records: 1, publish: 1 } });

    const expected = toKafkaRecord(envelopeOf(JSON.stringify(body)), {}, kafkaTopics, encodeProtobuf);
    const records = await reader.waitFor(kafkaTopics.orders, fixtures.filter((f) => f.route.endsWith('orders')).length + 1);
    const replayed = records.filter((record) => record.key === '777001');
    expect(replayed).toHaveLength(1);
    expect(replayed[0]!.headers).toEqual(expected.message.headers);
    expect(replayed[0]!.headers['content-type']).toBe(PROTOBUF_CONTENT_TYPE);
    expect(replayed[0]!.raw.equals(expected.message.value as Buffer)).toBe(true);
  });
});

describe('the reader every end-to-end suite uses', () => {
  const topics = uniqueTopics('format-reader');

  it('fails the test that reads a record breaking the envelope contract, and passes dead letters and good records', async () => {
    const kafka = new Kafka({ clientId: 'e2e-envelope-format', brokers: [TEST_BROKER], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const topic = topics.KAFKA_TOPIC_ORDERS!;
    const good = toKafkaRecord(envelopeOf(fixtures[0]!.raw), {}, { orders: topic, incidences: topic, deadLetter: topic });
    const goodValue = JSON.parse(String(good.message.value)) as Record<string, unknown>;
    const protobuf = toKafkaRecord(envelopeOf(fixtures[0]!.raw), {}, { orders: topic, incidences: topic, deadLetter: topic }, encodeProtobuf);
    const messages = [
      good.message,
      protobuf.message,
      deadLetterRecord(
        { reason: 'validation_failed', errors: [], body: Buffer.from('{"not":"an envelope"}'), contentType: 'application/json', route: '/webhooks/dropea', receivedAt: new Date(), signature: 'valid', trace: {} },
        { orders: topic, incidences: topic, deadLetter: topic },
      ).message,
      { ...good.message, value: JSON.stringify({ ...goodValue, region: 'es' }) },
      { ...good.message, headers: { ...good.message.headers, 'content-type': 'application/cloudevents+json; charset=utf-8', ce_id: 'another-id' } },
      { ...protobuf.message, headers: { ...protobuf.message.headers, 'content-type': 'application/cloudevents+json; charset=utf-8' } },
    ];
    await admin.connect();
    await producer.connect();
    let reader: KafkaReader | undefined;
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
      await producer.send({ topic, acks: -1, messages });
      reader = await KafkaReader.start([topic]);
      const failure = await reader.waitFor(topic, messages.length).then(
        () => 'no error',
        (error: Error) => error.message,
      );
      expect(failure).toContain('3 record(s) read from Kafka break the envelope contract');
      expect(failure).toContain(`${topic} 0/3`);
      expect(failure).toContain('schema: / must NOT have additional properties {"additionalProperty":"region"}');
      expect(failure).toContain(`${topic} 0/4`);
      expect(failure).toContain('header ce_id "another-id" is not');
      expect(failure).toContain(`${topic} 0/5`);
      expect(failure).toContain('does not decode');
      // Reported once: the check after this test has nothing left to throw.
      expect(() => reader!.throwViolations()).not.toThrow();
      expect(reader.records.map((record) => record.value?.['id'])).toEqual([goodValue['id'], goodValue['id'], undefined, goodValue['id'], goodValue['id'], undefined]);
    } finally {
      await reader?.stop();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
