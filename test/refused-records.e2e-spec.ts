import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDelivery } from './support/delivery-check.js';
import { post, type Reply } from './support/http.js';
import { alterTopic, createTopics } from './support/kafka-admin.js';
import { KafkaLink } from './support/kafka-link.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { parseExposition } from './support/prometheus-text.js';
import { uniqueTopics, waitUntilReady } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';
import { changeBody, type Sent } from './support/steady-load.js';

/**
 * One record Kafka refuses for good fails alone. The orders topic accepts at most 16 KiB
 * (max.message.bytes); 8 senders send 120 order webhooks, 6 of them with a 32 KiB unknown
 * member (well within MAX_BODY_BYTES). Every ordinary webhook must be published and answered as
 * usual, in per-entity order; each oversized one is answered 413 naming why, or, when it had
 * already been acknowledged from the spool, kept on the dead-letter topic; and the relay goes on
 * publishing. The relay runs as its own process, as it is deployed.
 */

const LIMIT = 16_384;
const WORKERS = 8;
const CHANGES = 15;
/** Worker w's entity, and which of its changes are oversized (change 5 of workers 0 to 5). */
const keyOf = (worker: number): number => 610_000 + worker;
const isOversized = (worker: number, seq: number): boolean => seq === 5 && worker < 6;

function bodyOf(worker: number, seq: number): string {
  const body = JSON.parse(changeBody(keyOf(worker), seq)) as Record<string, unknown>;
  return JSON.stringify(isOversized(worker, seq) ? { ...body, note: 'x'.repeat(32 * 1024) } : body);
}

interface Answered extends Sent {
  readonly reply: Reply;
  readonly oversized: boolean;
  readonly body: string;
}

/** 8 concurrent senders, each sending its entity's changes one after another. */
async function mixedLoad(url: string): Promise<Answered[]> {
  const answered: Answered[] = [];
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      for (let seq = 1; seq <= CHANGES; seq++) {
        const body = bodyOf(worker, seq);
        const reply = await post(`${url}/webhooks/dropea/orders`, body);
        const status = reply.body['status'];
        answered.push({
          key: keyOf(worker),
          seq,
          status: reply.status,
          answer: String(typeof status === 'string' ? status : reply.body['type']),
          id: reply.body['id'] as string | undefined,
          at: Date.now(),
          reply,
          oversized: isOversized(worker, seq),
          body,
        });
      }
    }),
  );
  return answered;
}

async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const { samples } = parseExposition(await (await fetch(`${url}/metrics`)).text());
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

/** The orders topic holds every ordinary change, each entity's in order; the DLQ holds exactly the oversized bodies. */
async function expectOrdinaryPublishedAndOversizedKept(topics: ReturnType<typeof uniqueTopics>, answered: readonly Answered[]): Promise<ReadRecord[]> {
  const ordinary = answered.filter((a) => !a.oversized);
  const oversized = answered.filter((a) => a.oversized);
  const reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS, topics.KAFKA_TOPIC_DLQ]);
  try {
    const records = await reader.waitForAll(topics.KAFKA_TOPIC_ORDERS, ordinary.map((a) => a.id!), (record) => String(record.value['id']));
    const letters = await reader.waitForAll(topics.KAFKA_TOPIC_DLQ, oversized.map((a) => a.body), (record) => record.raw.toString());
    // Anything still on its way (a duplicate) lands too before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const figures = checkDelivery(ordinary, reader.records.filter((record) => record.topic === topics.KAFKA_TOPIC_ORDERS));
    expect(figures).toMatchObject({ accepted: ordinary.length, lost: 0, orderViolations: 0 });
    // Nothing oversized reached the topic.
    expect(records.every((record) => record.raw.length < LIMIT)).toBe(true);
    expect(new Set(letters.map((letter) => letter.raw.toString()))).toEqual(new Set(oversized.map((a) => a.body)));
    expect(reader.records.filter((record) => record.topic === topics.KAFKA_TOPIC_DLQ).every((letter) => oversized.some((a) => a.body === letter.raw.toString()))).toBe(true);
    for (const letter of letters) {
      expect(letter.headers).toMatchObject({ dlq_reason: 'record_too_large', dlq_route: '/webhooks/dropea/orders', dlq_errors: '[]' });
      expect(letter.headers['dlq_detail']).toMatch(/too large|max\.message\.bytes|MESSAGE_TOO_LARGE/i);
      expect(letter.key).toBe(String(JSON.parse(letter.raw.toString()).order_id));
    }
    return [...reader.records];
  } finally {
    await reader.stop();
  }
}

describe('a record Kafka refuses for good', () => {
  let relay: RelayProcess | undefined;
  let link: KafkaLink | undefined;
  const spoolDirs: string[] = [];

  afterEach(async () => {
    await relay?.kill('SIGTERM');
    relay = undefined;
    await link?.close();
    link = undefined;
  });

  afterAll(async () => {
    for (const dir of spoolDirs) await rm(dir, { recursive: true, force: true });
  });

  async function topicsWithSmallOrders(suite: string): Promise<ReturnType<typeof uniqueTopics>> {
    const topics = uniqueTopics(suite);
    await createTopics([
      { topic: topics.KAFKA_TOPIC_ORDERS, configEntries: [{ name: 'max.message.bytes', value: String(LIMIT) }] },
      { topic: topics.KAFKA_TOPIC_INCIDENCES },
      { topic: topics.KAFKA_TOPIC_DLQ },
    ]);
    return topics;
  }

  async function spoolDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'relay-refused-'));
    spoolDirs.push(dir);
    return dir;
  }

  it.each([
    ['without a spool', false],
    ['with a spool', true],
  ])('%s: is answered 413 at once, naming the limit, kept on the dead-letter topic; the webhooks around it are published', async (_name, withSpool) => {
    const topics = await topicsWithSmallOrders(withSpool ? 'refused-spool' : 'refused');
    relay = await RelayProcess.start({
      ...topics,
      KAFKA_CREATE_TOPICS: 'false',
      DROPEA_SIGNATURE_MODE: 'off',
      ...(withSpool ? { SPOOL_DIR: await spoolDir() } : {}),
    });
    const answered = await mixedLoad(relay.url);

    expect(answered.filter((a) => !a.oversized).map((a) => a.status)).toEqual(Array(114).fill(202));
    expect(answered.filter((a) => !a.oversized).every((a) => a.answer === 'published')).toBe(true);
    for (const refused of answered.filter((a) => a.oversized)) {
      expect(refused.status).toBe(413);
      expect(refused.reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.reply.body).toMatchObject({ type: 'urn:dropea-relay:problem:record-too-large', status: 413 });
      expect(refused.reply.body['detail']).toMatch(
        new RegExp(`topic ${topics.KAFKA_TOPIC_ORDERS} accepts at most ${LIMIT} \\(max\\.message\\.bytes\\).*kept on ${topics.KAFKA_TOPIC_DLQ}.*dlq:replay`),
      );
    }
    await expectOrdinaryPublishedAndOversizedKept(topics, answered);
    expect(await metric(relay.url, 'dropea_relay_records_refused_total', { reason: 'record_too_large' })).toBe(6);
    expect(await metric(relay.url, 'dropea_relay_dead_letters_total', { reason: 'record_too_large' })).toBe(6);
    if (withSpool) expect(await metric(relay.url, 'dropea_relay_spool_records')).toBe(0);

    // Still publishing.
    const after = await post(`${relay.url}/webhooks/dropea/orders`, changeBody(keyOf(0), CHANGES + 1));
    expect(after).toMatchObject({ status: 202, body: { status: 'published' } });
  });

  it("fails alone when Kafka itself refuses it (the topic's limit was lowered after the relay read it)", async () => {
    const topics = uniqueTopics('refused-by-kafka');
    await createTopics([{ topic: topics.KAFKA_TOPIC_ORDERS }, { topic: topics.KAFKA_TOPIC_INCIDENCES }, { topic: topics.KAFKA_TOPIC_DLQ }]);
    relay = await RelayProcess.start({ ...topics, KAFKA_CREATE_TOPICS: 'false', DROPEA_SIGNATURE_MODE: 'off' });
    // The relay read 1 MiB; Kafka now refuses more than 16 KiB per partition and request.
    await alterTopic(topics.KAFKA_TOPIC_ORDERS, { 'max.message.bytes': String(LIMIT) });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answered = await mixedLoad(relay.url);

    expect(answered.filter((a) => !a.oversized).map((a) => a.status)).toEqual(Array(114).fill(202));
    for (const refused of answered.filter((a) => a.oversized)) {
      expect(refused.reply).toMatchObject({ status: 413, body: { type: 'urn:dropea-relay:problem:record-too-large' } });
    }
    await expectOrdinaryPublishedAndOversizedKept(topics, answered);
    // Kafka's own answer, per partition, is what found them.
    expect(relay.logs).toMatch(/MESSAGE_TOO_LARGE|larger than the server will accept/);
  });

  it('already acknowledged from the spool, goes to the dead-letter topic when the drain meets it, and the drain goes on in order', async () => {
    const topics = await topicsWithSmallOrders('refused-spooled');
    link = await KafkaLink.open();
    link.cut();
    // Kafka is out of reach from the start, so the relay knows no topic's limit: everything is spooled.
    relay = await RelayProcess.start(
      { ...topics, KAFKA_BROKERS: KafkaLink.brokers, KAFKA_CREATE_TOPICS: 'false', DROPEA_SIGNATURE_MODE: 'off', PUBLISH_TIMEOUT_MS: '500', SPOOL_DIR: await spoolDir() },
      { waitReady: false },
    );
    const answered = await mixedLoad(relay.url);
    expect(answered.map((a) => a.answer)).toEqual(Array(120).fill('spooled'));
    expect((await fetch(`${relay.url}/health/ready`)).status).toBe(503);

    link.restore();
    // Ready once the spool has drained, the refused records included.
    await waitUntilReady(relay.url, 60_000);
    await expectOrdinaryPublishedAndOversizedKept(topics, answered);
    expect(await metric(relay.url, 'dropea_relay_spool_records')).toBe(0);
    expect(await metric(relay.url, 'dropea_relay_dead_letters_total', { reason: 'record_too_large' })).toBe(6);
    expect(relay.logs).toMatch(/A spooled record was refused for good and published to .*dlq/);
    // Every produce request gave the broker at most PUBLISH_TIMEOUT_MS to acknowledge it.
    expect(link.produceTimeouts.length).toBeGreaterThan(0);
    expect(Math.max(...link.produceTimeouts)).toBeLessThanOrEqual(500);
    expect(Math.min(...link.produceTimeouts)).toBeGreaterThan(0);

    const after = await post(`${relay.url}/webhooks/dropea/orders`, changeBody(keyOf(0), CHANGES + 1));
    expect(after).toMatchObject({ status: 202, body: { status: 'published' } });
  });

  it('answers 422 saying the webhook was not kept when the dead-letter topic refuses its dead letter (compacted, and the body has no id to key it by)', async () => {
    const topics = uniqueTopics('refused-dead-letter');
    await createTopics([
      { topic: topics.KAFKA_TOPIC_ORDERS },
      { topic: topics.KAFKA_TOPIC_INCIDENCES },
      { topic: topics.KAFKA_TOPIC_DLQ, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ]);
    relay = await RelayProcess.start({ ...topics, KAFKA_CREATE_TOPICS: 'false', DROPEA_SIGNATURE_MODE: 'off' });
    const keyless = await post(`${relay.url}/webhooks/dropea/orders`, JSON.stringify({ topic: 'order:status_update', new_status: 'x', updated_at: 'soon' }));
    expect(keyless.status).toBe(422);
    expect(keyless.body).toMatchObject({ type: 'urn:dropea-relay:problem:validation-failed' });
    expect(keyless.body['detail']).toMatch(/It was not kept on the dead-letter topic: Kafka refused the record for topic .*dlq \(INVALID_RECORD\)/);
    // With an id, the dead letter has a key and the compacted topic keeps it.
    const keyed = await post(`${relay.url}/webhooks/dropea/orders`, JSON.stringify({ topic: 'order:status_update', order_id: 7, new_status: 'x', updated_at: 'soon' }));
    expect(keyed.status).toBe(422);
    expect(keyed.body['detail']).not.toMatch(/not kept/);
    const after = await post(`${relay.url}/webhooks/dropea/orders`, changeBody(keyOf(0), 1));
    expect(after).toMatchObject({ status: 202, body: { status: 'published' } });
  });
});
