import { describe, expect, it } from '@jest/globals';
import { normalize } from '../../envelope/normalize.js';
import type { ConsumedRecord } from './consumed-record.js';
import { jsonLine, textBlock } from './record-format.js';

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const body = { topic: 'incidence:status_update', incidence_id: 189044, prev_status: 'pending', new_status: 'client_managed', updated_at: '2025-02-13 14:23:56' };
const event = normalize(
  { topic: 'incidence:status_update', entityId: 189044, previousStatus: 'pending', status: 'client_managed', updatedAt: body.updated_at, sourcePayload: body },
  { receivedAt: new Date('2026-11-22T10:00:00.123Z'), source: 'dropea' },
);
const at = { topic: 'dropea.incidence.status.v1', partition: 4, offset: '12', timestamp: '2026-11-22T10:00:00.200Z', key: '189044' };
const eventRecord: ConsumedRecord = {
  ...at,
  headers: {
    'content-type': 'application/cloudevents+json; charset=utf-8',
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_specversion: '1.0',
    traceparent,
  },
  content: { kind: 'event', envelope: event },
};

describe('textBlock', () => {
  it('prints where the record sits, its key, the headers that add to the envelope, and the envelope pretty', () => {
    expect(textBlock(eventRecord)).toBe(
      'dropea.incidence.status.v1  partition 4  offset 12  key 189044  2026-11-22T10:00:00.200Z\n' +
        'content-type: application/cloudevents+json; charset=utf-8\n' +
        `traceparent: ${traceparent}\n` +
        `${JSON.stringify(event, null, 2)}\n\n`,
    );
  });

  it('shows a ce_ header that disagrees with the envelope', () => {
    const text = textBlock({ ...eventRecord, headers: { ...eventRecord.headers, ce_source: 'elsewhere' } });
    expect(text).toContain('\nce_source: elsewhere\n');
    expect(text).not.toContain('ce_id:');
  });

  it('prints a dead letter with its dlq_ headers and the body as received', () => {
    const text = textBlock({
      ...at,
      topic: 'dropea.webhook.dlq.v1',
      key: null,
      headers: { dlq_reason: 'validation_failed', 'content-type': 'application/json' },
      content: { kind: 'dead-letter', body: '{"order_id":"abc"}' },
    });
    expect(text).toBe(
      'dropea.webhook.dlq.v1  partition 4  offset 12  key (none)  2026-11-22T10:00:00.200Z\n' +
        'dlq_reason: validation_failed\ncontent-type: application/json\n' +
        'dead letter, the request body as received:\n{"order_id":"abc"}\n\n',
    );
  });

  it('says why a record is not an envelope and shows its value', () => {
    const text = textBlock({ ...at, headers: {}, content: { kind: 'undecodable', error: 'bad', value: 'AAE=', encoding: 'base64' } });
    expect(text).toContain('\nnot an envelope: bad\nvalue (base64): AAE=\n\n');
    const empty = textBlock({ ...at, headers: {}, content: { kind: 'undecodable', error: 'the record has no value', value: null, encoding: 'utf8' } });
    expect(empty.endsWith('\nnot an envelope: the record has no value\n\n')).toBe(true);
  });
});

describe('jsonLine', () => {
  it('writes one line of JSON: where, key, every header, the kind and the envelope', () => {
    const line = jsonLine(eventRecord);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ ...at, headers: eventRecord.headers, kind: 'event', envelope: event });
  });
});
