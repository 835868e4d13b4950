import { describe, expect, it } from '@jest/globals';
import type { Message } from 'kafkajs';
import { createRequire } from 'node:module';
import { RECORD_BATCH_OVERHEAD, recordSize, singleRecordBatchSize } from './record-size.js';

// kafkajs's own encoders (not part of its typed API): the bytes it actually puts on the wire.
const require = createRequire(import.meta.url);
type Encoded = { size(): number; buffer: Buffer };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => Encoded;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (batch: object) => Promise<Encoded> };

const messages: Message[] = [
  { key: '265494', value: Buffer.from('{"specversion":"1.0"}'), headers: { 'content-type': 'application/cloudevents+json; charset=utf-8', ce_id: 'a' } },
  { key: null, value: Buffer.alloc(40_000, 7), headers: {} },
  { key: 'clé-é', value: 'ünïcödé ✓'.repeat(300), headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'x-ü': 'ß' } },
  { key: '1', value: Buffer.alloc(0) },
  { key: '2', value: Buffer.alloc(127) },
  { key: '3', value: Buffer.alloc(16_384 * 8) },
];

describe('record sizes as Kafka counts them', () => {
  it("equal kafkajs's encoding of a record first in its batch, UTF-8 counted in bytes", () => {
    for (const message of messages) {
      const encoded = Record({ offsetDelta: 0, timestampDelta: 0, key: message.key, value: message.value, headers: message.headers });
      expect(recordSize(message, 'least')).toBe(encoded.size());
    }
  });

  it('bound a record anywhere in a batch from above', () => {
    for (const message of messages) {
      const encoded = Record({ offsetDelta: 999_999, timestampDelta: 59_999, key: message.key, value: message.value, headers: message.headers });
      expect(recordSize(message, 'most')).toBeGreaterThanOrEqual(encoded.size());
      expect(recordSize(message, 'most')).toBeLessThanOrEqual(encoded.size() + 8);
    }
  });

  it("give a one-record batch's size exactly: the number compared with the topic's max.message.bytes", async () => {
    for (const message of messages) {
      const record = Record({ offsetDelta: 0, timestampDelta: 0, key: message.key, value: message.value, headers: message.headers });
      const batch = await RecordBatch({ records: [record] });
      expect(singleRecordBatchSize(message)).toBe(batch.size());
      expect(batch.size() - record.size()).toBe(RECORD_BATCH_OVERHEAD);
    }
  });
});
