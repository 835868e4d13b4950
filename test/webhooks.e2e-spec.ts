import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EXPECTED, loadFixtures, type Fixture } from './support/fixtures.js';
import { post, sign } from './support/http.js';
import { javaPartitions } from './support/java-partitioner.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';

const KEY = 'e2e-current-api-key';
const PREVIOUS_KEY = 'e2e-previous-api-key';
const PARTITIONS = 6;
const fixtures = loadFixtures();

type Mode = 'off' | 'optional' | 'required';
type Signature = 'none' | 'hex' | 'base64' | 'previous-key' | 'wrong';

/** CONTRACT.md §1: what each signature mode answers for each kind of signature. */
const EXPECTED_STATUS: Record<Mode, Record<Signature, number>> = {
  off: { none: 202, hex: 202, base64: 202, 'previous-key': 202, wrong: 202 },
  optional: { none: 202, hex: 202, base64: 202, 'previous-key': 202, wrong: 401 },
  required: { none: 401, hex: 202, base64: 202, 'previous-key': 202, wrong: 401 },
};

function signatureHeaders(body: Buffer, signature: Signature): Record<string, string> {
  switch (signature) {
    case 'none':
      return {};
    case 'hex':
      return { 'X-Dropea-Hmac-Sha256': sign(body, KEY, 'hex') };
    case 'base64':
      return { 'x-dropea-hmac-sha256': sign(body, KEY, 'base64') };
    case 'previous-key':
      return { 'X-DROPEA-HMAC-SHA256': `sha256=${sign(body, PREVIOUS_KEY, 'hex')}` };
    case 'wrong':
      return { 'X-Dropea-Hmac-Sha256': sign(body, 'not-a-configured-key', 'hex') };
  }
}

describe.each<Mode>(['off', 'optional', 'required'])('DROPEA_SIGNATURE_MODE=%s', (mode) => {
  const topics = uniqueTopics(`signature-${mode}`);
  let relay: RunningRelay;
  let reader: KafkaReader;

  beforeAll(async () => {
    relay = await startRelay({
      ...topics,
      DROPEA_SIGNATURE_MODE: mode,
      DROPEA_API_KEYS: mode === 'off' ? '' : `${PREVIOUS_KEY},${KEY}`,
    });
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!, topics.KAFKA_TOPIC_DLQ!]);
  });

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  it('relays each fixture on its own route and on /webhooks/dropea once, answers its redeliveries as duplicates, and Kafka holds exactly the published ones', async () => {
    const startedAt = new Date();
    const published: { fixture: Fixture; id: string }[] = [];
    const seen = new Set<string>();

    for (const fixture of fixtures) {
      for (const route of [fixture.route, '/webhooks/dropea']) {
        for (const signature of ['none', 'hex', 'base64', 'previous-key', 'wrong'] as const) {
          const reply = await post(`${relay.url}${route}`, fixture.raw, { headers: signatureHeaders(fixture.raw, signature) });
          const accepted = EXPECTED_STATUS[mode][signature] === 202;
          const id = reply.body['id'] as string;
          // The first accepted delivery of an event is published; every later one (the same
          // fixture again, or another spelling of the same state change) is a duplicate.
          const expected = !accepted ? 401 : seen.has(id) ? 200 : 202;
          expect({ fixture: fixture.file, route, signature, status: reply.status }).toEqual({ fixture: fixture.file, route, signature, status: expected });
          if (expected === 202) {
            const topic = fixture.route.endsWith('orders') ? topics.KAFKA_TOPIC_ORDERS : topics.KAFKA_TOPIC_INCIDENCES;
            expect(reply.body).toEqual({ status: 'published', id: expect.any(String), topic });
            published.push({ fixture, id });
            seen.add(id);
          } else if (expected === 200) {
            expect(reply.body).toEqual({ status: 'duplicate', id });
          } else {
            expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
            expect(reply.body).toMatchObject({ status: 401, type: expect.stringMatching(/^urn:dropea-relay:problem:signature-/) });
            expect(JSON.stringify(reply.body)).not.toContain(sign(fixture.raw, KEY, 'hex'));
          }
        }
      }
    }
    const finishedAt = new Date();

    // Six distinct events: seven fixtures, two of which spell one state change differently.
    expect(published).toHaveLength(6);
    const ordersPublished = published.filter(({ fixture }) => fixture.route.endsWith('orders')).length;
    const records = [
      ...(await reader.waitFor(topics.KAFKA_TOPIC_ORDERS!, ordersPublished)),
      ...(await reader.waitFor(topics.KAFKA_TOPIC_INCIDENCES!, published.length - ordersPublished)),
    ];
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reader.records).toHaveLength(published.length);

    const partitions = await javaPartitions(PARTITIONS, [...new Set(fixtures.map((f) => String(f.entityId)))]);
    for (const { fixture, id } of published) {
      const mine = records.filter((record) => record.value['id'] === id);
      expect(mine).toHaveLength(1);
      expectRecord(mine[0]!, fixture, id, partitions, [startedAt, finishedAt]);
    }
  });

  it('dead-letters an invalid body that passed the signature check, recording how it was signed', async () => {
    const body = Buffer.from(JSON.stringify({ topic: 'order:status_update', order_id: 77, new_status: '', updated_at: 'soon', mode }));
    const unsigned = await post(`${relay.url}/webhooks/dropea/orders`, body);
    const signed = await post(`${relay.url}/webhooks/dropea/orders`, body, { headers: signatureHeaders(body, 'hex') });
    const wrong = await post(`${relay.url}/webhooks/dropea/orders`, body, { headers: signatureHeaders(body, 'wrong') });
    expect([unsigned.status, signed.status, wrong.status]).toEqual([mode === 'required' ? 401 : 422, 422, mode === 'off' ? 422 : 401]);

    // Same bytes, same route: kept once, with the signature status of the first that got through.
    const letters = await reader.waitFor(topics.KAFKA_TOPIC_DLQ!, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(letters.filter((record) => record.raw.equals(body))).toHaveLength(1);
    const expected = { off: 'unchecked', optional: 'missing', required: 'valid' }[mode];
    expect(letters[0]?.headers).toMatchObject({ dlq_reason: 'validation_failed', dlq_signature: expected, dlq_route: '/webhooks/dropea/orders' });
    expect(letters[0]?.key).toBe('77');
  });

  function expectRecord(
    record: ReadRecord,
    fixture: Fixture,
    id: string,
    partitions: Map<string, number>,
    [startedAt, finishedAt]: [Date, Date],
  ): void {
    const expected = EXPECTED[fixture.file]!;
    const key = String(fixture.entityId);
    expect(record.topic).toBe(fixture.route.endsWith('orders') ? topics.KAFKA_TOPIC_ORDERS : topics.KAFKA_TOPIC_INCIDENCES);
    expect(record.key).toBe(key);
    expect(record.partition).toBe(partitions.get(key));
    expect(record.headers).toEqual({
      'content-type': 'application/cloudevents+json; charset=utf-8',
      ce_id: id,
      ce_type: expected.type,
      ce_source: 'dropea',
      ce_specversion: '1.0',
    });
    expect(record.value).toEqual({
      specversion: '1.0',
      id,
      source: 'dropea',
      type: expected.type,
      subject: key,
      time: expected.time,
      datacontenttype: 'application/json',
      partitionkey: key,
      data: {
        entity: expected.entity,
        entity_id: fixture.entityId,
        previous_status: expected.previous_status,
        status: expected.status,
        occurred_at_local: expected.occurred_at_local,
        utc_offset: expected.utc_offset,
        received_at: expect.any(String),
        source_payload: fixture.json,
      },
    });
    const receivedAt = Date.parse((record.value['data'] as { received_at: string }).received_at);
    expect(receivedAt).toBeGreaterThanOrEqual(startedAt.getTime());
    expect(receivedAt).toBeLessThanOrEqual(finishedAt.getTime());
  }
});
