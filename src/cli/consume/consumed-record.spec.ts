import { describe, expect, it } from '@jest/globals';
import { deadLetterHeaders } from '../../dead-letter/dead-letter.js';
import { normalize } from '../../envelope/normalize.js';
import { toKafkaRecord } from '../../publishing/kafka-record.js';
import { readRecord, type RawRecord } from './consumed-record.js';

const topics = { orders: 'orders.v1', incidences: 'incidences.v1', deadLetter: 'dlq.v1' };
const receivedAt = new Date('2026-11-22T10:00:00.123Z');
const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const body = { topic: 'order:status_update', order_id: 265494, prev_status: 'confirmed', new_status: 'cancelled', updated_at: '2025-05-29 14:14:58' };
const event = normalize(
  { topic: 'order:status_update', entityId: 265494, previousStatus: 'confirmed', status: 'cancelled', updatedAt: body.updated_at, sourcePayload: body },
  { receivedAt, source: 'dropea' },
);

/** A record as kafkajs hands it to a consumer: key, value and header values are Buffers. */
function asRead(message: { key?: unknown; value?: unknown; headers?: Record<string, unknown> }, timestamp = '1795341600123'): RawRecord {
  const buffer = (value: unknown): Buffer | null => (value === undefined || value === null ? null : Buffer.from(String(value)));
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, buffer(value) ?? undefined]));
  return {
    key: buffer(message.key),
    value: Buffer.isBuffer(message.value) ? message.value : buffer(message.value),
    timestamp,
    headers,
  };
}

describe('readRecord', () => {
  it('decodes the envelope the relay published, with where it sits, its key and every header', () => {
    const { message } = toKafkaRecord(event, { traceparent }, topics);
    const record = readRecord('orders.v1', 3, '17', asRead(message));
    expect(record).toEqual({
      topic: 'orders.v1',
      partition: 3,
      offset: '17',
      timestamp: '2026-11-22T10:00:00.123Z',
      key: '265494',
      headers: {
        'content-type': 'application/cloudevents+json; charset=utf-8',
        ce_id: event.id,
        ce_type: 'com.dropea.order.status_changed',
        ce_source: 'dropea',
        ce_specversion: '1.0',
        traceparent,
      },
      content: { kind: 'event', envelope: event },
    });
  });

  it('shows a dead letter as the request body, byte for byte, whatever its content-type', () => {
    const raw = Buffer.from('{"topic":"order:status_update","order_id":"abc"}\n');
    const headers = deadLetterHeaders({
      reason: 'validation_failed',
      errors: [{ pointer: '#/order_id', field: 'order_id', detail: 'order_id must be an integer' }],
      body: raw,
      contentType: 'application/json',
      route: '/webhooks/dropea/orders',
      receivedAt,
      signature: 'valid',
      trace: {},
    });
    const record = readRecord('dlq.v1', 0, '0', asRead({ key: null, value: raw, headers }));
    expect(record.key).toBeNull();
    expect(record.headers['dlq_reason']).toBe('validation_failed');
    expect(record.content).toEqual({ kind: 'dead-letter', body: raw.toString('utf8') });
  });

  it('keeps a record that is not an envelope, saying why, as text or as base64', () => {
    const notJson = readRecord('t', 0, '1', asRead({ key: '1', value: 'hello', headers: {} }));
    expect(notJson.content).toMatchObject({ kind: 'undecodable', value: 'hello', encoding: 'utf8' });
    expect((notJson.content as { error: string }).error).toMatch(/JSON/);

    const binary = Buffer.from([0x0a, 0xff, 0xfe, 0x00]);
    const unknownType = readRecord('t', 0, '2', asRead({ key: '1', value: binary, headers: { 'content-type': 'application/x-unknown' } }));
    expect(unknownType.content).toMatchObject({ kind: 'undecodable', value: binary.toString('base64'), encoding: 'base64' });
    expect((unknownType.content as { error: string }).error).toContain('application/x-unknown');

    const tombstone = readRecord('t', 0, '3', asRead({ key: '1', value: null }));
    expect(tombstone.content).toEqual({ kind: 'undecodable', error: 'the record has no value', value: null, encoding: 'utf8' });
  });

  it('reads a repeated header by its last value and keeps a timestamp it cannot read as given', () => {
    const record = readRecord('t', 0, '0', {
      key: Buffer.from('1'),
      value: Buffer.from(JSON.stringify(event)),
      timestamp: 'x',
      headers: { traceparent: [Buffer.from('first'), Buffer.from('last')] },
    });
    expect(record.headers).toEqual({ traceparent: 'last' });
    expect(record.timestamp).toBe('x');
  });
});
