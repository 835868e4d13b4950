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
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!]);
  });

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  it('relays each fixture on its own route and on /webhooks/dropea, and Kafka holds exactly the accepted ones', async () => {
    const startedAt = new Date();
    const accepted: { fixture: Fixture; id: string }[] = [];

    for (const fixture of fixtures) {
      for (const route of [fixture.route, '/webhooks/dropea']) {
        for (const signature of ['none', 'hex', 'base64', 'previous-key', 'wrong'] as const) {
          const reply = await post(`${relay.url}${route}`, fixture.raw, { headers: signatureHeaders(fixture.raw, signature) });
          const expected = EXPECTED_STATUS[mode][signature];
          expect({ fixture: fixture.file, route, signature, status: reply.status }).toEqual({
            fixture: fixture.file,
            route,
            signature,
            status: expected,
          });
          if (expected === 202) {
            const topic = fixture.route.endsWith('orders') ? topics.KAFKA_TOPIC_ORDERS : topics.KAFKA_TOPIC_INCIDENCES;
            expect(reply.body).toEqual({ status: 'published', id: expect.any(String), topic });
            accepted.push({ fixture, id: reply.body['id'] as string });
          } else {
            expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
            expect(reply.body).toMatchObject({ status: 401, type: expect.stringMatching(/^urn:dropea-relay:problem:signature-/) });
            expect(JSON.stringify(reply.body)).not.toContain(sign(fixture.raw, KEY, 'hex'));
          }
        }
      }
    }
    const finishedAt = new Date();

    const ordersAccepted = accepted.filter(({ fixture }) => fixture.route.endsWith('orders')).length;
    const records = [
      ...(await reader.waitFor(topics.KAFKA_TOPIC_ORDERS!, ordersAccepted)),
      ...(await reader.waitFor(topics.KAFKA_TOPIC_INCIDENCES!, accepted.length - ordersAccepted)),
    ];
    expect(records).toHaveLength(accepted.length);

    const partitions = await javaPartitions(PARTITIONS, [...new Set(fixtures.map((f) => String(f.entityId)))]);
    for (const { fixture, id } of accepted) {
      // Two fixtures spell one state change differently and so share an id; their payloads differ.
      const payload = JSON.stringify(fixture.json);
      const mine = records.filter(
        (record) => record.value['id'] === id && JSON.stringify((record.value['data'] as Record<string, unknown>)['source_payload']) === payload,
      );
      expect(mine.length).toBe(accepted.filter((other) => other.fixture === fixture).length);
      for (const record of mine) expectRecord(record, fixture, id, partitions, [startedAt, finishedAt]);
    }
    // Same webhook, same id: every delivery of a fixture carries one id; fixtures differ.
    const idsByFixture = new Map(accepted.map(({ fixture, id }) => [fixture.file, id]));
    for (const { fixture, id } of accepted) expect(id).toBe(idsByFixture.get(fixture.file));
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
