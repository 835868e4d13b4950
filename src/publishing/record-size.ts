import type { Message } from 'kafkajs';

/**
 * Sizes of records as Kafka counts them against a topic's `max.message.bytes`, which bounds
 * one partition's record batch in a produce request, not one record
 * (https://kafka.apache.org/documentation/#topicconfigs_max.message.bytes). The format is
 * record batch v2 (https://kafka.apache.org/documentation/#recordbatch): a 61-byte batch header,
 * then each record as varint-prefixed fields, exactly as kafkajs encodes them.
 */

/** The batch header: base offset, length, leader epoch, magic, CRC, … up to the record count. */
export const RECORD_BATCH_OVERHEAD = 61;

/**
 * One record's encoded size. Only its timestamp and offset deltas depend on its place in a
 * batch: `least` counts them at one byte each (the record first in its batch), `most` at the
 * widest they take in a batch of up to a million records sent within a minute.
 */
export function recordSize(message: Message, bound: 'least' | 'most'): number {
  const body =
    1 + // attributes
    (bound === 'least' ? 2 : 3 + 3) + // timestamp delta (varlong) and offset delta (varint)
    bytesField(message.key) +
    bytesField(message.value) +
    headersSize(message.headers);
  return varintSize(body) + body;
}

/** The smallest batch one record can be sent in: what decides whether a topic can ever take it. */
export function singleRecordBatchSize(message: Message): number {
  return RECORD_BATCH_OVERHEAD + recordSize(message, 'least');
}

function headersSize(headers: Message['headers']): number {
  // Counted in place, without copying the headers into arrays: it runs twice for every record.
  let entries = 0;
  let size = 0;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    entries++;
    if (!Array.isArray(value)) {
      size += stringField(name) + bytesField(value);
      continue;
    }
    for (const one of value) size += stringField(name) + bytesField(one);
  }
  return varintSize(entries) + size;
}

function stringField(text: string): number {
  const bytes = Buffer.byteLength(text);
  return varintSize(bytes) + bytes;
}

function bytesField(field: Buffer | string | null | undefined): number {
  if (field === null || field === undefined) return 1; // varint(-1)
  const bytes = typeof field === 'string' ? Buffer.byteLength(field) : field.length;
  return varintSize(bytes) + bytes;
}

/** Zig-zag varint of a non-negative int (https://protobuf.dev/programming-guides/encoding/#varints). */
function varintSize(value: number): number {
  let zigzag = value * 2;
  let size = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    size++;
  }
  return size;
}
