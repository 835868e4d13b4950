import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DeadLetter } from '../src/dead-letter/dead-letter.js';
import { normalize } from '../src/envelope/normalize.js';
import { deadLetterRecord, toKafkaRecord } from '../src/publishing/kafka-record.js';
import { post } from './support/http.js';
import { KafkaReader } from './support/kafka-reader.js';
import { runProcess, type Run } from './support/run-process.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { TEST_BROKER } from './support/test-broker.mjs';
import { SAMPLE_ORDER } from './support/webhook-bodies.js';

/** The built CLI, as `npm run dlq:replay` runs it (`npm test` builds before Jest starts). */
const CLI = fileURLToPath(new URL('../dist/cli/dlq-replay/main.js', import.meta.url));


function runReplay(env: Record<string, string>, args: readonly string[] = [], timeoutMs = 60_000): Promise<Run> {
  return runProcess(process.execPath, [CLI, ...args], { KAFKA_BROKERS: TEST_BROKER, ...env }, timeoutMs);
}

function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first (\`npm test\` builds before Jest)`);
}

/** How many records a topic holds, from its offsets: 0 proves nothing was written. */
async function recordCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, { low, high }) => sum + Number(high) - Number(low), 0);
}

const receivedAt = new Date('2026-11-22T10:00:00.123Z');
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const passingBody = SAMPLE_ORDER;
const invalidBody = { ...passingBody, order_id: 'abc', updated_at: '2025-02-30 10:00:00' };

function letter(body: unknown, overrides: Partial<DeadLetter>): DeadLetter {
  return {
    reason: 'validation_failed',
    errors: [],
    body: Buffer.from(JSON.stringify(body)),
    contentType: 'application/json',
    route: '/webhooks/dropea/orders',
    receivedAt,
    signature: 'valid',
    trace: {},
    ...overrides,
  };
}

describe('npm run dlq:replay', () => {
  const topics = uniqueTopics('dlq-replay');
  const env = { ...topics };
  const kafkaTopics = { orders: topics.KAFKA_TOPIC_ORDERS!, incidences: topics.KAFKA_TOPIC_INCIDENCES!, deadLetter: topics.KAFKA_TOPIC_DLQ! };
  const kafka = new Kafka({ clientId: 'e2e-dlq-replay', brokers: [TEST_BROKER], logLevel: logLevel.NOTHING });
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    requireBuild();
    admin = kafka.admin();
    await admin.connect();
    // A broker that has just started can refuse metadata for a new topic for a moment.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: Object.values(kafkaTopics).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
        });
        break;
      } catch (error) {
        if (attempt === 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // What the relay wrote when these arrived: one whose topic was unknown then and passes now,
    // one that still breaks the rules, and a record someone else put on the topic.
    const passing = deadLetterRecord(
      letter(passingBody, {
        reason: 'unknown_topic',
        errors: [{ pointer: '#/topic', field: 'topic', detail: 'topic must be "order:status_update"' }],
        trace: { traceparent },
        entityId: 265494,
      }),
      kafkaTopics,
    );
    const invalid = deadLetterRecord(letter(invalidBody, {}), kafkaTopics);
    await producer.send({
      topic: kafkaTopics.deadLetter,
      acks: -1,
      messages: [passing.message, invalid.message, { key: null, value: JSON.stringify(passingBody) }],
    });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  it('reports without --apply what would be published and what still fails, and publishes nothing', async () => {
    const run = await runReplay(env);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Replaying ${kafkaTopics.deadLetter} (dry run: nothing is published; --apply publishes)`);
    expect(lines.at(-1)).toBe('records 3, would publish 1, still failing 1, not dead letters 1');
    const records = lines.slice(1, -1);
    expect(records).toHaveLength(3);
    const orders = kafkaTopics.orders.replaceAll('.', '\\.');
    for (const pattern of [
      new RegExp(`^\\d/\\d+  would publish to ${orders}  key 265494  id [0-9a-f-]{36}$`),
      /^\d\/\d+  still failing \(validation_failed\)  order_id: order_id must be a JSON integer; updated_at: updated_at must be a date/,
      /^\d\/\d+  not a dead letter  no dlq_route, dlq_reason, dlq_received_at, dlq_body_sha256 headers$/,
    ]) {
      expect({ pattern: String(pattern), matches: records.filter((line) => pattern.test(line)).length }).toEqual({ pattern: String(pattern), matches: 1 });
    }
    expect(await recordCount(admin, kafkaTopics.orders)).toBe(0);
    expect(await recordCount(admin, kafkaTopics.incidences)).toBe(0);
  });

  it('publishes with --apply exactly the record the relay would have published, and reports it as JSON', async () => {
    const run = await runReplay(env, ['--apply', '--json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const change = {
      topic: 'order:status_update' as const,
      entityId: 265494,
      previousStatus: 'confirmed',
      status: 'cancelled',
      updatedAt: '2025-05-29 14:14:58',
      sourcePayload: passingBody,
    };
    const expected = toKafkaRecord(normalize(change, { receivedAt, source: 'dropea' }), { traceparent }, kafkaTopics);
    const report = JSON.parse(run.stdout) as { records: Record<string, unknown>[] };
    expect(report).toMatchObject({
      deadLetterTopic: kafkaTopics.deadLetter,
      applied: true,
      complete: true,
      summary: { records: 3, publish: 1, stillFailing: 1, notDeadLetters: 1 },
    });
    expect(report.records).toHaveLength(3);
    expect(report.records.find((r) => r['outcome'] === 'publish')).toMatchObject({
      key: '265494',
      eventId: expected.message.headers?.['ce_id'],
      topic: kafkaTopics.orders,
      eventKey: '265494',
    });
    expect(report.records.find((r) => r['outcome'] === 'still-failing')).toMatchObject({
      reason: 'validation_failed',
      errors: [
        { pointer: '#/order_id', field: 'order_id', detail: 'order_id must be a JSON integer' },
        { pointer: '#/updated_at', field: 'updated_at', detail: expect.stringContaining('updated_at must be a date') },
      ],
    });
    expect(report.records.find((r) => r['outcome'] === 'not-a-dead-letter')).toMatchObject({ key: null });

    const reader = await KafkaReader.start([kafkaTopics.orders]);
    try {
      const [record] = await reader.waitFor(kafkaTopics.orders, 1);
      expect(record!.raw.toString('utf8')).toBe(expected.message.value);
      expect(record!.key).toBe('265494');
      expect(record!.headers).toEqual(expected.message.headers);
      expect(record!.value).toMatchObject({ id: expected.message.headers?.['ce_id'], data: { received_at: receivedAt.toISOString() } });
    } finally {
      await reader.stop();
    }
    expect(await recordCount(admin, kafkaTopics.orders)).toBe(1);
    expect(await recordCount(admin, kafkaTopics.incidences)).toBe(0);
    // The dead letters stay where they are.
    expect(await recordCount(admin, kafkaTopics.deadLetter)).toBe(3);
  });

  it('ends at once on an empty dead-letter topic', async () => {
    const empty = uniqueTopics('dlq-replay-empty');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: empty.KAFKA_TOPIC_DLQ!, numPartitions: 3, replicationFactor: 1 }] });
    const started = Date.now();
    const run = await runReplay(empty, ['--json']);

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ complete: true, summary: { records: 0, publish: 0, stillFailing: 0, notDeadLetters: 0 }, records: [] });
    // No consumer group is joined for nothing to read; the run is the connection and one metadata request.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('exits 1 naming a dead-letter topic that does not exist', async () => {
    const missing = uniqueTopics('dlq-replay-missing');
    const run = await runReplay(missing);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`topic ${missing.KAFKA_TOPIC_DLQ!} does not exist`);
  });

  it('exits 78 naming a bad variable', async () => {
    const run = await runReplay({ ...env, KAFKA_TOPIC_DLQ: 'not a topic' });

    expect(run.code).toBe(78);
    expect(run.stderr).toContain('KAFKA_TOPIC_DLQ');
  });
});

describe('npm run dlq:replay after the real relay dead-lettered a webhook', () => {
  const topics = uniqueTopics('dlq-replay-relay');
  let relay: RunningRelay;

  beforeAll(async () => {
    requireBuild();
    relay = await startRelay(topics);
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('reports it as still failing, with the field errors the relay answered', async () => {
    const reply = await post(`${relay.url}/webhooks/dropea/orders`, JSON.stringify({ ...passingBody, new_status: '   ', updated_at: 'yesterday' }), {
      headers: { traceparent },
    });
    expect(reply.status).toBe(422);
    // The relay answers 422 only once the dead letter is acknowledged, so it is there to read.
    const run = await runReplay(topics, ['--json']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { summary: unknown; records: Record<string, unknown>[] };
    expect(report.summary).toEqual({ records: 1, publish: 0, stillFailing: 1, notDeadLetters: 0 });
    expect(report.records[0]).toMatchObject({ key: '265494', outcome: 'still-failing', reason: 'validation_failed' });
    expect(report.records[0]?.['errors']).toEqual(reply.body['errors']);
  });
});
