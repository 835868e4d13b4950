import { describe, expect, it } from '@jest/globals';
import { deadLetterHeaders, type DeadLetter } from '../../dead-letter/dead-letter.js';
import { decodeEnvelope, encodeProtobuf } from '../../envelope/envelope-codec.js';
import { encodeJson, PROTOBUF_CONTENT_TYPE } from '../../envelope/envelope-format.js';
import { normalize } from '../../envelope/normalize.js';
import { STRUCTURED_CONTENT_TYPE, toKafkaRecord, type KafkaRecord } from '../../publishing/kafka-record.js';
import {
  headerStrings,
  inProduceRequests,
  jsonReport,
  replayDeadLetter,
  reportLine,
  summaryLine,
  tally,
  type DeadLetterRecord,
  type ReplayedRecord,
} from './dlq-replay.js';

const topics = { orders: 'orders.v1', incidences: 'incidences.v1', deadLetter: 'dlq.v1' };
const settings = { source: 'dropea', topics, encode: encodeJson } as const;
const receivedAt = new Date('2026-11-22T10:00:00.123Z');
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

const order = {
  topic: 'order:status_update',
  order_id: 265494,
  prev_status: 'confirmed',
  new_status: 'cancelled',
  updated_at: '2025-05-29 14:14:58',
};
/** normalize.spec.ts pins this id for the same webhook and source. */
const ORDER_EVENT_ID = '8b614812-a0f8-53b5-8857-7581c1e4365b';

/** A dead-letter record exactly as the relay writes it (kafka-record.ts, deadLetterRecord). */
function deadLetter(body: string | Buffer, overrides: Partial<DeadLetter> = {}): DeadLetterRecord {
  const letter: DeadLetter = {
    reason: 'validation_failed',
    errors: [],
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    contentType: 'application/json',
    route: '/webhooks/dropea/orders',
    receivedAt,
    signature: 'valid',
    trace: {},
    ...overrides,
  };
  return { key: Buffer.from('265494'), value: letter.body, headers: deadLetterHeaders(letter) };
}

describe('replayDeadLetter', () => {
  it('publishes a dead letter that passes now exactly as the relay would have published it when it arrived', () => {
    const raw = JSON.stringify(order);
    const record = deadLetter(raw, {
      reason: 'unknown_topic',
      errors: [{ pointer: '#/topic', field: 'topic', detail: 'topic must be "order:status_update"' }],
      trace: { traceparent, tracestate: 'vendor=1' },
    });

    const outcome = replayDeadLetter(record, settings);

    const change = {
      topic: 'order:status_update' as const,
      entityId: 265494,
      previousStatus: 'confirmed',
      status: 'cancelled',
      updatedAt: '2025-05-29 14:14:58',
      sourcePayload: order,
    };
    const expected = toKafkaRecord(normalize(change, { receivedAt, source: 'dropea' }), { traceparent, tracestate: 'vendor=1' }, topics);
    expect(outcome).toEqual({ kind: 'publish', eventId: ORDER_EVENT_ID, record: expected });
    const published = (outcome as { record: KafkaRecord }).record;
    expect(published.topic).toBe('orders.v1');
    expect(published.message.key).toBe('265494');
    expect(published.message.headers).toEqual({
      'content-type': STRUCTURED_CONTENT_TYPE,
      ce_id: ORDER_EVENT_ID,
      ce_type: 'com.dropea.order.status_changed',
      ce_source: 'dropea',
      ce_specversion: '1.0',
      traceparent,
      tracestate: 'vendor=1',
    });
    const envelope = JSON.parse(String(published.message.value)) as { id: string; data: Record<string, unknown> };
    expect(envelope.id).toBe(ORDER_EVENT_ID);
    expect(envelope.data['received_at']).toBe('2026-11-22T10:00:00.123Z');
    expect(envelope.data['source_payload']).toEqual(order);
  });

  it('publishes in the configured envelope format: in protobuf mode the same envelope, key and headers, as protobuf', () => {
    const record = deadLetter(JSON.stringify(order), { trace: { traceparent } });
    const json = replayDeadLetter(record, settings) as { record: KafkaRecord };
    const protobuf = replayDeadLetter(record, { ...settings, encode: encodeProtobuf }) as { kind: string; record: KafkaRecord; eventId: string };

    expect(protobuf).toMatchObject({ kind: 'publish', eventId: ORDER_EVENT_ID, record: { topic: 'orders.v1', message: { key: '265494' } } });
    expect(protobuf.record.message.headers).toEqual({ ...json.record.message.headers, 'content-type': PROTOBUF_CONTENT_TYPE });
    expect(decodeEnvelope(protobuf.record.message.value as Buffer, PROTOBUF_CONTENT_TYPE)).toEqual(JSON.parse(String(json.record.message.value)));
  });

  it('leaves the trace headers out when the webhook carried none', () => {
    const outcome = replayDeadLetter(deadLetter(JSON.stringify(order)), settings);
    expect(outcome.kind).toBe('publish');
    const headers = (outcome as { record: KafkaRecord }).record.message.headers ?? {};
    expect(Object.keys(headers)).not.toContain('traceparent');
    expect(Object.keys(headers)).not.toContain('tracestate');
  });

  it('takes the event source from the configuration, which changes the event id', () => {
    const outcome = replayDeadLetter(deadLetter(JSON.stringify(order)), { ...settings, source: 'dropea-staging' });
    expect(outcome).toMatchObject({ kind: 'publish' });
    expect((outcome as { eventId: string }).eventId).not.toBe(ORDER_EVENT_ID);
  });

  it('routes an incidence on the route for every topic to the incidences topic', () => {
    const incidence = { topic: 'incidence:status_update', incidence_id: 189044, new_status: 'client_managed', updated_at: '2025-02-13 14:23:56' };
    const outcome = replayDeadLetter(deadLetter(JSON.stringify(incidence), { route: '/webhooks/dropea' }), settings);
    expect(outcome).toMatchObject({ kind: 'publish', record: { topic: 'incidences.v1', message: { key: '189044' } } });
  });

  it('reports a body that still breaks the rules as still failing, one error per field', () => {
    const body = JSON.stringify({ ...order, order_id: '265494', new_status: '' });
    expect(replayDeadLetter(deadLetter(body), settings)).toEqual({
      kind: 'still-failing',
      reason: 'validation_failed',
      errors: [
        { pointer: '#/order_id', field: 'order_id', detail: 'order_id must be a JSON integer' },
        { pointer: '#/new_status', field: 'new_status', detail: 'new_status must not be empty' },
      ],
      detail: 'Invalid field(s): order_id, new_status',
    });
  });

  it('checks the topic against the route the webhook came in on', () => {
    const outcome = replayDeadLetter(deadLetter(JSON.stringify(order), { route: '/webhooks/dropea/incidences' }), settings);
    expect(outcome).toMatchObject({ kind: 'still-failing', reason: 'validation_failed', errors: [{ field: 'topic' }] });
  });

  it('keeps an unknown topic on the route for every topic as unknown_topic', () => {
    const body = JSON.stringify({ topic: 'product:stock_update', product_id: 7 });
    const outcome = replayDeadLetter(deadLetter(body, { route: '/webhooks/dropea', reason: 'unknown_topic' }), settings);
    expect(outcome).toMatchObject({ kind: 'still-failing', reason: 'unknown_topic', errors: [{ pointer: '#/topic', field: 'topic' }] });
  });

  it('reports a route the relay no longer serves as still failing', () => {
    const outcome = replayDeadLetter(deadLetter(JSON.stringify(order), { route: '/webhooks/dropea/products' }), settings);
    expect(outcome).toEqual({
      kind: 'still-failing',
      reason: 'unknown_route',
      errors: [],
      detail: '/webhooks/dropea/products is no longer a webhook route',
    });
  });

  it('reports bytes that are not JSON, or not a JSON object, as still failing', () => {
    expect(replayDeadLetter(deadLetter('{"topic":'), settings)).toMatchObject({
      kind: 'still-failing',
      reason: 'invalid_json',
      errors: [],
      detail: expect.stringContaining('not valid JSON'),
    });
    expect(replayDeadLetter(deadLetter(Buffer.from([0x7b, 0x22, 0xff, 0x00])), settings)).toMatchObject({
      kind: 'still-failing',
      reason: 'invalid_json',
      detail: expect.stringContaining('must be UTF-8'),
    });
    expect(replayDeadLetter(deadLetter('[1,2]'), settings)).toMatchObject({ kind: 'still-failing', reason: 'not_an_object', errors: [] });
  });

  it('does not take a record without the dead-letter headers for a dead letter', () => {
    const record = { key: Buffer.from('265494'), value: Buffer.from(JSON.stringify(order)), headers: {} };
    expect(replayDeadLetter(record, settings)).toEqual({
      kind: 'not-a-dead-letter',
      detail: 'no dlq_route, dlq_reason, dlq_received_at, dlq_body_sha256 headers',
    });
    expect(replayDeadLetter({ ...record, headers: undefined }, settings)).toMatchObject({ kind: 'not-a-dead-letter' });
  });

  it('does not take a record for a dead letter when its receipt time is not a date', () => {
    const record = deadLetter(JSON.stringify(order));
    const headers = { ...record.headers, dlq_received_at: 'yesterday' };
    expect(replayDeadLetter({ ...record, headers }, settings)).toEqual({ kind: 'not-a-dead-letter', detail: 'dlq_received_at is not a date' });
  });

  it('does not replay a value that is not the body its digest names, nor an empty record', () => {
    const record = deadLetter(JSON.stringify(order));
    const tampered = Buffer.from(JSON.stringify({ ...order, new_status: 'delivered' }));
    expect(replayDeadLetter({ ...record, value: tampered }, settings)).toEqual({
      kind: 'not-a-dead-letter',
      detail: 'the value does not match dlq_body_sha256',
    });
    expect(replayDeadLetter({ ...record, value: null }, settings)).toEqual({ kind: 'not-a-dead-letter', detail: 'the record has no value' });
  });

  it('drops a trace header the relay would not have accepted', () => {
    const record = deadLetter(JSON.stringify(order));
    const headers = { ...record.headers, traceparent: 'not-a-traceparent', tracestate: 'vendor=1' };
    const outcome = replayDeadLetter({ ...record, headers }, settings);
    const published = (outcome as { record: KafkaRecord }).record.message.headers ?? {};
    expect(Object.keys(published)).not.toContain('traceparent');
    expect(Object.keys(published)).not.toContain('tracestate');
  });
});

describe('headerStrings', () => {
  it('decodes Buffers as UTF-8 and reads a repeated header by its last value', () => {
    expect(headerStrings({ a: Buffer.from('é'), b: 'text', c: [Buffer.from('first'), 'last'], d: undefined })).toEqual({
      a: 'é',
      b: 'text',
      c: 'last',
      d: undefined,
    });
    expect(headerStrings(undefined)).toEqual({});
  });
});

describe('the report', () => {
  const published = replayDeadLetter(deadLetter(JSON.stringify(order)), settings);
  const failing = replayDeadLetter(deadLetter(JSON.stringify({ ...order, order_id: 0 })), settings);
  const stray = replayDeadLetter({ key: null, value: Buffer.from('x'), headers: {} }, settings);
  const replayed: ReplayedRecord[] = [
    { partition: 2, offset: '7', key: '265494', outcome: published },
    { partition: 0, offset: '3', key: '265494', outcome: failing },
    { partition: 1, offset: '0', key: null, outcome: stray },
  ];

  it('has a line per record: where it is, what became of it, and its event id or its errors', () => {
    expect(replayed.map((entry) => reportLine(entry, false))).toEqual([
      `2/7  would publish to orders.v1  key 265494  id ${ORDER_EVENT_ID}`,
      '0/3  still failing (validation_failed)  order_id: order_id must be at least 1',
      '1/0  not a dead letter  no dlq_route, dlq_reason, dlq_received_at, dlq_body_sha256 headers',
    ]);
    expect(reportLine(replayed[0]!, true)).toBe(`2/7  published to orders.v1  key 265494  id ${ORDER_EVENT_ID}`);
  });

  it('names the failure when no field is to blame', () => {
    const outcome = replayDeadLetter(deadLetter('[]'), settings);
    expect(reportLine({ partition: 0, offset: '1', key: null, outcome }, false)).toBe(
      '0/1  still failing (not_an_object)  The body must be a JSON object, got an array',
    );
  });

  it('sums up what would be, or was, published and what was not', () => {
    expect(tally(replayed)).toEqual({ records: 3, publish: 1, stillFailing: 1, notDeadLetters: 1 });
    expect(summaryLine(tally(replayed), false)).toBe('records 3, would publish 1, still failing 1, not dead letters 1');
    expect(summaryLine(tally(replayed), true)).toBe('records 3, published 1, still failing 1, not dead letters 1');
    expect(summaryLine(tally([]), false)).toBe('records 0, would publish 0, still failing 0, not dead letters 0');
  });

  it('is one JSON object with --json, in topic order, without the published bytes', () => {
    const report = jsonReport('dlq.v1', replayed, true);
    expect(report).toEqual({
      deadLetterTopic: 'dlq.v1',
      applied: true,
      complete: true,
      summary: { records: 3, publish: 1, stillFailing: 1, notDeadLetters: 1 },
      records: [
        {
          partition: 0,
          offset: '3',
          key: '265494',
          outcome: 'still-failing',
          reason: 'validation_failed',
          errors: [{ pointer: '#/order_id', field: 'order_id', detail: 'order_id must be at least 1' }],
          detail: 'Invalid field(s): order_id',
        },
        { partition: 1, offset: '0', key: null, outcome: 'not-a-dead-letter', detail: expect.stringContaining('no dlq_route') },
        { partition: 2, offset: '7', key: '265494', outcome: 'publish', eventId: ORDER_EVENT_ID, topic: 'orders.v1', eventKey: '265494' },
      ],
    });
    const byOffset = jsonReport('dlq.v1', [{ ...replayed[2]!, offset: '10' }, replayed[2]!, { ...replayed[2]!, offset: '9' }], false);
    expect(byOffset.records.map((r) => r['offset'])).toEqual(['0', '9', '10']);
    expect(jsonReport('dlq.v1', [], false, 'broker down')).toMatchObject({ complete: false, error: 'broker down', applied: false });
  });
});

describe('inProduceRequests', () => {
  const record = (bytes: number): KafkaRecord => ({ topic: 't', message: { key: '1', value: 'x'.repeat(bytes) } });

  it('keeps the order and splits at the record or byte limit', () => {
    const records = [record(100), record(100), record(100), record(100), record(100)];
    expect(inProduceRequests(records, { maxRecords: 2, maxBytes: 1_000_000 }).map((r) => r.length)).toEqual([2, 2, 1]);
    const bySize = inProduceRequests(records, { maxRecords: 100, maxBytes: 300 });
    expect(bySize.map((r) => r.length)).toEqual([2, 2, 1]);
    expect(bySize.flat()).toEqual(records);
  });

  it('sends a record over the byte limit on its own, and nothing for no records', () => {
    expect(inProduceRequests([record(10), record(5000), record(10)], { maxRecords: 100, maxBytes: 1000 }).map((r) => r.length)).toEqual([1, 1, 1]);
    expect(inProduceRequests([], { maxRecords: 100, maxBytes: 1000 })).toEqual([]);
  });
});
