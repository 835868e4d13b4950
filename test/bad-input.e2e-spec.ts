import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { post, sign, type Reply } from './support/http.js';
import { KafkaReader } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { SAMPLE_ORDER } from './support/webhook-bodies.js';

const KEY = 'e2e-bad-input-key';
const MAX_BODY_BYTES = 4096;

const valid = SAMPLE_ORDER;

interface BadCase {
  readonly name: string;
  readonly route?: string;
  readonly body: string;
  readonly contentType?: string | null;
  readonly signature?: 'valid' | 'none' | 'wrong';
  readonly status: number;
  readonly fields?: readonly string[];
}

const json = (value: unknown): string => JSON.stringify(value);

const CASES: BadCase[] = [
  { name: 'not JSON', body: '{"topic":', status: 400 },
  { name: 'a JSON array', body: '[1,2]', status: 400 },
  { name: 'a JSON string', body: '"order"', status: 400 },
  { name: 'JSON null', body: 'null', status: 400 },
  { name: 'a __proto__ key', body: '{"__proto__":{"polluted":true}}', status: 400 },
  { name: 'text/plain', body: json(valid), contentType: 'text/plain', status: 415 },
  { name: 'form encoding', body: 'topic=order', contentType: 'application/x-www-form-urlencoded', status: 415 },
  { name: 'no content type', body: json(valid), contentType: null, status: 415 },
  { name: 'a body over MAX_BODY_BYTES', body: json({ ...valid, padding: 'x'.repeat(MAX_BODY_BYTES) }), status: 413 },
  { name: 'no signature', body: json(valid), signature: 'none', status: 401 },
  { name: 'a wrong signature', body: json(valid), signature: 'wrong', status: 401 },
  { name: 'an incidence on the orders route', body: json({ ...valid, topic: 'incidence:status_update' }), status: 422, fields: ['topic'] },
  { name: 'an order on the incidences route', route: '/webhooks/dropea/incidences', body: json(valid), status: 422, fields: ['topic'] },
  { name: 'an unknown topic on the orders route', body: json({ ...valid, topic: 'product:update' }), status: 422, fields: ['topic'] },
  { name: 'a missing topic', route: '/webhooks/dropea', body: json({ order_id: 1 }), status: 422, fields: ['topic'] },
  { name: 'the id as a string', body: json({ ...valid, order_id: '265494' }), status: 422, fields: ['order_id'] },
  { name: 'a fractional id', body: json({ ...valid, order_id: 1.5 }), status: 422, fields: ['order_id'] },
  { name: 'id 0', body: json({ ...valid, order_id: 0 }), status: 422, fields: ['order_id'] },
  { name: 'an id over 2^53-1', body: '{"topic":"order:status_update","order_id":9007199254740993,"new_status":"x","updated_at":"2025-05-29 14:14:58"}', status: 422, fields: ['order_id'] },
  { name: 'the incidence id on an order', body: json({ ...valid, order_id: undefined, incidence_id: 5 }), status: 422, fields: ['order_id'] },
  { name: 'an empty new_status', body: json({ ...valid, new_status: '' }), status: 422, fields: ['new_status'] },
  { name: 'a blank new_status', body: json({ ...valid, new_status: '   ' }), status: 422, fields: ['new_status'] },
  { name: 'a 65-character prev_status', body: json({ ...valid, prev_status: 'x'.repeat(65) }), status: 422, fields: ['prev_status'] },
  { name: 'a numeric prev_status', body: json({ ...valid, prev_status: 3 }), status: 422, fields: ['prev_status'] },
  { name: 'an impossible date', body: json({ ...valid, updated_at: '2025-02-30 10:00:00' }), status: 422, fields: ['updated_at'] },
  { name: 'hour 25', body: json({ ...valid, updated_at: '2025-05-29 25:00:00' }), status: 422, fields: ['updated_at'] },
  { name: 'a date without time', body: json({ ...valid, updated_at: '2025-05-29' }), status: 422, fields: ['updated_at'] },
  {
    name: 'several broken fields at once',
    body: json({ topic: 'order:status_update', order_id: -1, new_status: 7, updated_at: 'yesterday' }),
    status: 422,
    fields: ['order_id', 'new_status', 'updated_at'],
  },
];

describe('bad input', () => {
  const topics = uniqueTopics('bad-input');
  let relay: RunningRelay;
  let reader: KafkaReader;
  const startedAt = new Date();

  beforeAll(async () => {
    relay = await startRelay({
      ...topics,
      DROPEA_SIGNATURE_MODE: 'required',
      DROPEA_API_KEYS: KEY,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    });
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!, topics.KAFKA_TOPIC_DLQ!]);
  });

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  const send = (c: BadCase): Promise<Reply> => {
    const signature = c.signature ?? 'valid';
    const headers: Record<string, string> =
      signature === 'none' ? {} : { 'x-dropea-hmac-sha256': sign(c.body, signature === 'valid' ? KEY : 'not-the-key') };
    return post(`${relay.url}${c.route ?? '/webhooks/dropea/orders'}`, c.body, { headers, contentType: c.contentType });
  };

  it.each(CASES)('answers $status problem+json to $name', async (c) => {
    const reply = await send(c);
    expect(reply.status).toBe(c.status);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.body).toMatchObject({ type: expect.stringMatching(/^urn:dropea-relay:problem:/), status: c.status, title: expect.any(String), detail: expect.any(String) });
    // A refused media type says what to send instead.
    if (c.status === 415) expect(reply.body['detail']).toContain('Content-Type: application/json');
    if (c.fields) {
      const errors = reply.body['errors'] as { field: string; pointer: string; detail: string }[];
      expect(errors.map((error) => error.field).sort()).toEqual([...c.fields].sort());
      for (const error of errors) expect(error.pointer).toBe(`#/${error.field}`);
    }
  });

  it('keeps every 422 on the dead-letter topic: exact bytes, the reason, the field errors, where and when it came', async () => {
    const invalid = CASES.filter((c) => c.status === 422);
    const replies = new Map<BadCase, Reply>();
    for (const c of invalid) replies.set(c, await send(c));
    const letters = await reader.waitFor(topics.KAFKA_TOPIC_DLQ!, invalid.length);
    for (const c of invalid) {
      const route = c.route ?? '/webhooks/dropea/orders';
      const mine = letters.filter((record) => record.raw.equals(Buffer.from(c.body)) && record.headers['dlq_route'] === route);
      expect({ name: c.name, count: mine.length }).toEqual({ name: c.name, count: 1 });
      const { headers, key } = mine[0]!;
      expect(headers).toMatchObject({
        dlq_reason: 'validation_failed',
        dlq_route: route,
        dlq_signature: 'valid',
        dlq_body_sha256: createHash('sha256').update(c.body).digest('hex'),
        'content-type': 'application/json',
      });
      expect(JSON.parse(headers['dlq_errors']!)).toEqual(replies.get(c)?.body['errors']);
      const receivedAt = new Date(headers['dlq_received_at']!).getTime();
      expect(receivedAt).toBeGreaterThanOrEqual(startedAt.getTime());
      expect(receivedAt).toBeLessThanOrEqual(Date.now());
      // Keyed by the body's order_id or incidence_id when either is usable.
      const body = JSON.parse(c.body) as Record<string, unknown>;
      const id = [body['order_id'], body['incidence_id']].find((v) => Number.isSafeInteger(v) && (v as number) > 0);
      expect(key).toBe(id === undefined ? '' : String(id));
    }
  });

  it('answers 202 dead_lettered to an unknown topic on /webhooks/dropea, and keeps it once however often it comes', async () => {
    const body = json({ topic: 'product:stock_update', product_id: 7, stock: 0 });
    for (let i = 0; i < 3; i++) {
      const reply = await send({ name: 'unknown topic', route: '/webhooks/dropea', body, status: 202 });
      expect(reply).toMatchObject({ status: 202, body: { status: 'dead_lettered' } });
    }
    await reader.waitFor(topics.KAFKA_TOPIC_DLQ!, CASES.filter((c) => c.status === 422).length + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const mine = reader.records.filter((record) => record.raw.equals(Buffer.from(body)));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.headers).toMatchObject({ dlq_reason: 'unknown_topic', dlq_route: '/webhooks/dropea', dlq_signature: 'valid' });
    expect(JSON.parse(mine[0]!.headers['dlq_errors']!)).toEqual([{ pointer: '#/topic', field: 'topic', detail: expect.any(String) }]);
  });

  it('accepts a body of exactly MAX_BODY_BYTES, and no rejected request reached Kafka', async () => {
    const base = json({ ...valid, padding: '' });
    const atLimit = json({ ...valid, padding: 'x'.repeat(MAX_BODY_BYTES - Buffer.byteLength(base)) });
    expect(Buffer.byteLength(atLimit)).toBe(MAX_BODY_BYTES);
    const accepted = await send({ name: 'at the limit', body: atLimit, status: 202 });
    expect(accepted.status).toBe(202);

    // The rejected requests were all answered before this one was sent, so had any of them
    // been published it would be on the topic by now: the topic holds exactly one record.
    const records = await reader.waitFor(topics.KAFKA_TOPIC_ORDERS!, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const published = reader.records.filter((record) => record.topic !== topics.KAFKA_TOPIC_DLQ);
    expect(published.map((record) => record.value['id'])).toEqual([accepted.body['id']]);
    // Only 422s and the unknown topic were kept: no 400, 401, 413 or 415 ever reaches Kafka.
    const kept = reader.records.filter((record) => record.topic === topics.KAFKA_TOPIC_DLQ);
    const keptRequests = new Set(kept.map((record) => `${record.headers['dlq_route']} ${record.raw.toString('utf8')}`));
    for (const c of CASES.filter((c) => c.status !== 422)) {
      const request = `${c.route ?? '/webhooks/dropea/orders'} ${c.body}`;
      expect({ name: c.name, kept: keptRequests.has(request) }).toEqual({ name: c.name, kept: false });
    }
    expect(kept).toHaveLength(CASES.filter((c) => c.status === 422).length + 1);
    expect(records[0]?.value['data']).toMatchObject({ source_payload: JSON.parse(atLimit) });
  });
});
