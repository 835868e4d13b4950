import { describe, expect, it } from '@jest/globals';
import { RecordRefusedError } from './event-publisher.js';
import { decodeEnvelope, encodeProtobuf } from '../envelope/envelope-codec.js';
import { encodeJson, PROTOBUF_CONTENT_TYPE } from '../envelope/envelope-format.js';
import { normalize } from '../envelope/normalize.js';
import { STRUCTURED_CONTENT_TYPE, deadLetterRecord, fromSpooledRecord, refusedDeadLetter, toKafkaRecord, toSpooledRecord } from './kafka-record.js';

const topics = { orders: 'orders.v1', incidences: 'incidences.v1', deadLetter: 'dlq.v1' };
const receipt = { receivedAt: new Date('2026-11-22T10:00:00.123Z'), source: 'dropea' };
const order = normalize(
  {
    topic: 'order:status_update',
    entityId: 265494,
    previousStatus: 'confirmed',
    status: 'cancelled',
    updatedAt: '2025-05-29 14:14:58',
    sourcePayload: { topic: 'order:status_update', order_id: 265494 },
  },
  receipt,
);
const incidence = normalize(
  {
    topic: 'incidence:status_update',
    entityId: 189044,
    previousStatus: null,
    status: 'client_managed',
    updatedAt: '2025-02-13 14:23:56',
    sourcePayload: {},
  },
  receipt,
);

describe('toKafkaRecord', () => {
  it('keys the record by the entity id as a decimal string, on its entity topic', () => {
    expect(toKafkaRecord(order, {}, topics)).toMatchObject({ topic: 'orders.v1', message: { key: '265494' } });
    expect(toKafkaRecord(incidence, {}, topics)).toMatchObject({ topic: 'incidences.v1', message: { key: '189044' } });
  });

  it('writes the whole event as the value with the structured-mode headers', () => {
    const { message } = toKafkaRecord(order, {}, topics);
    // Byte for byte what the relay has always written: the envelope as JSON.stringify writes it.
    expect(message.value).toBe(JSON.stringify(order));
    expect(toKafkaRecord(order, {}, topics, encodeJson)).toEqual(toKafkaRecord(order, {}, topics));
    expect(JSON.parse(String(message.value))).toEqual(order);
    expect(message.headers).toEqual({
      'content-type': STRUCTURED_CONTENT_TYPE,
      ce_id: order.id,
      ce_type: 'com.dropea.order.status_changed',
      ce_source: 'dropea',
      ce_specversion: '1.0',
    });
  });

  it('copies the trace context when there is one', () => {
    const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'congo=t61rcWkgMzE' };
    expect(toKafkaRecord(order, trace, topics).message.headers).toMatchObject(trace);
  });

  it('writes the protobuf envelope with its content-type in protobuf mode, the same key, topic and ce_ headers', () => {
    const trace = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    for (const event of [order, incidence]) {
      const json = toKafkaRecord(event, trace, topics, encodeJson);
      const protobuf = toKafkaRecord(event, trace, topics, encodeProtobuf);
      expect(Buffer.isBuffer(protobuf.message.value)).toBe(true);
      expect(decodeEnvelope(protobuf.message.value as Buffer, PROTOBUF_CONTENT_TYPE)).toEqual(event);
      expect(protobuf.topic).toBe(json.topic);
      expect(protobuf.message.key).toBe(json.message.key);
      expect(protobuf.message.headers).toEqual({ ...json.message.headers, 'content-type': PROTOBUF_CONTENT_TYPE });
    }
  });

  it('keeps a protobuf record exact through the spool', () => {
    const record = toKafkaRecord(incidence, {}, topics, encodeProtobuf);
    expect(fromSpooledRecord(toSpooledRecord(record))).toEqual(record);
  });

  it("turns a dead letter's fallback into the refused record's stand-in: same bytes and key, the refusal as its reason", () => {
    const body = Buffer.from('{"topic":"order:status_update","order_id":7}');
    const origin = { body, contentType: 'application/json', route: '/webhooks/dropea/orders', receivedAt: new Date(0), signature: 'valid' as const, trace: {} };
    const fallback = deadLetterRecord({ ...origin, reason: 'record_invalid', errors: [], entityId: 7 }, topics);
    const refusal = new RecordRefusedError(topics.orders, 'record_too_large', 'The record is 40000 bytes and topic o accepts at most 16384 (max.message.bytes)');
    const letter = refusedDeadLetter(fallback, refusal);
    expect(letter.topic).toBe(topics.deadLetter);
    expect(letter.message.key).toBe('7');
    expect(letter.message.value).toBe(body);
    expect(letter.message.headers).toMatchObject({ dlq_reason: 'record_too_large', dlq_detail: refusal.message, dlq_route: '/webhooks/dropea/orders' });
  });
});
