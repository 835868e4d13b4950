import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CloudEvent, ReceiptFacts, StatusChange } from './envelope.js';
import { normalize, unknownStatuses } from './normalize.js';

/** Dropea's documented webhook bodies (Jest runs from the repository root). */
export const FIXTURE_DIR = path.resolve(process.cwd(), 'test/fixtures/dropea');

function readFixture(file: string): { raw: string; payload: Record<string, unknown> } {
  const raw = readFileSync(path.join(FIXTURE_DIR, file), 'utf8');
  return { raw, payload: JSON.parse(raw) as Record<string, unknown> };
}

/** What validation hands to `normalize` for a well-formed body. */
function changeOf(payload: Record<string, unknown>): StatusChange {
  const topic = payload['topic'];
  if (topic !== 'order:status_update' && topic !== 'incidence:status_update') throw new Error('bad topic');
  const entityId = payload[topic === 'order:status_update' ? 'order_id' : 'incidence_id'];
  return {
    topic,
    entityId: entityId as number,
    previousStatus: (payload['prev_status'] as string | null | undefined) ?? null,
    status: payload['new_status'] as string,
    updatedAt: payload['updated_at'] as string,
    sourcePayload: payload,
  };
}

const facts: ReceiptFacts = { receivedAt: new Date('2026-11-22T10:00:00.123Z'), source: 'dropea' };

interface FixtureCase {
  file: string;
  id: string;
  entity: 'order' | 'incidence';
  entityId: number;
  previous: string;
  status: string;
  time: string;
  local: string;
  offset: string;
}

function expectedEnvelope(c: FixtureCase, payload: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    id: c.id,
    source: 'dropea',
    type: `com.dropea.${c.entity}.status_changed`,
    subject: String(c.entityId),
    time: c.time,
    datacontenttype: 'application/json',
    partitionkey: String(c.entityId),
    data: {
      entity: c.entity,
      entity_id: c.entityId,
      previous_status: c.previous,
      status: c.status,
      occurred_at_local: c.local,
      utc_offset: c.offset,
      received_at: '2026-11-22T10:00:00.123Z',
      source_payload: payload,
    },
  };
}

const FIXTURES: FixtureCase[] = [
  {
    file: 'order-confirmed-to-cancelled.json',
    id: '8b614812-a0f8-53b5-8857-7581c1e4365b',
    entity: 'order',
    entityId: 265494,
    previous: 'confirmed',
    status: 'cancelled',
    time: '2025-05-29T12:14:58Z',
    local: '2025-05-29T14:14:58',
    offset: '+02:00',
  },
  {
    file: 'order-pending-to-confirmed.json',
    id: '8b7acda4-0f0c-550e-806f-e246e556b691',
    entity: 'order',
    entityId: 265494,
    previous: 'pending',
    status: 'confirmed',
    time: '2025-05-29T12:14:58Z',
    local: '2025-05-29T14:14:58',
    offset: '+02:00',
  },
  {
    file: 'order-error-to-pending.json',
    id: '697dbb40-d8c2-52da-bb7d-ebee2dc2bfaa',
    entity: 'order',
    entityId: 265496,
    previous: 'error',
    status: 'pending',
    time: '2025-05-29T12:38:05Z',
    local: '2025-05-29T14:38:05',
    offset: '+02:00',
  },
  {
    file: 'incidence-pending-to-client-managed.json',
    id: 'a7554225-2172-5b37-98c2-432537384ae7',
    entity: 'incidence',
    entityId: 189044,
    previous: 'pending',
    status: 'client_managed',
    time: '2025-02-13T13:23:56Z',
    local: '2025-02-13T14:23:56',
    offset: '+01:00',
  },
  {
    file: 'incidence-client-managed-to-solution-sent.json',
    id: 'a4bd0949-3ece-5106-9821-e009adaa4b7d',
    entity: 'incidence',
    entityId: 265494,
    previous: 'client_managed',
    status: 'solution_sent',
    time: '2025-05-29T14:10:45Z',
    local: '2025-05-29T16:10:45',
    offset: '+02:00',
  },
  {
    file: 'incidence-client-managed-to-resolution-sent-en.json',
    id: 'a4bd0949-3ece-5106-9821-e009adaa4b7d',
    entity: 'incidence',
    entityId: 265494,
    previous: 'client_managed',
    status: 'solution_sent',
    time: '2025-05-29T14:10:45Z',
    local: '2025-05-29T16:10:45',
    offset: '+02:00',
  },
  {
    file: 'incidence-solution-sent-to-resolved.json',
    id: '0ec102e8-c902-51d7-a9b4-705c67ec2cc5',
    entity: 'incidence',
    entityId: 265494,
    previous: 'solution_sent',
    status: 'resolved',
    time: '2025-05-29T15:42:30Z',
    local: '2025-05-29T17:42:30',
    offset: '+02:00',
  },
];

describe('normalize: Dropea documented webhooks', () => {
  it.each(FIXTURES)('$file → its envelope', (c) => {
    const { raw, payload } = readFixture(c.file);
    const event = normalize(changeOf(payload), facts);
    expect(event).toEqual(expectedEnvelope(c, JSON.parse(raw) as Record<string, unknown>));
    expect(event.data.source_payload).toBe(payload);
    expect(unknownStatuses(event)).toEqual([]);
  });

  it('covers every fixture file', () => {
    const files = readdirSync(FIXTURE_DIR).filter((name) => name.endsWith('.json')).sort();
    expect(files).toEqual(FIXTURES.map((c) => c.file).sort());
  });

  it('gives solution_send and resolution_send one id, and every other webhook its own', () => {
    const idOf = (file: string): string => normalize(changeOf(readFixture(file).payload), facts).id;
    const ids = new Map(FIXTURES.map((c) => [c.file, idOf(c.file)]));
    expect(ids.get('incidence-client-managed-to-solution-sent.json')).toBe(
      ids.get('incidence-client-managed-to-resolution-sent-en.json'),
    );
    expect(new Set(ids.values()).size).toBe(FIXTURES.length - 1);
  });

  it('gives a redelivery the same id, whenever it is received', () => {
    const { payload } = readFixture('order-confirmed-to-cancelled.json');
    const laterFacts = { ...facts, receivedAt: new Date('2026-11-22T10:05:00Z') };
    const later = normalize(changeOf(structuredClone(payload)), laterFacts);
    expect(later.id).toBe(normalize(changeOf(payload), facts).id);
    expect(later.data.received_at).toBe('2026-11-22T10:05:00.000Z');
  });
});

const order: StatusChange = {
  topic: 'order:status_update',
  entityId: 265494,
  previousStatus: 'confirmed',
  status: 'cancelled',
  updatedAt: '2025-05-29 14:14:58',
  sourcePayload: { topic: 'order:status_update', order_id: 265494 },
};

describe('normalize', () => {
  it('writes the envelope members in the contract order', () => {
    const event = normalize(order, facts);
    expect(Object.keys(event)).toEqual([
      'specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'partitionkey', 'data',
    ]);
    expect(Object.keys(event.data)).toEqual([
      'entity', 'entity_id', 'previous_status', 'status', 'occurred_at_local', 'utc_offset', 'received_at',
      'source_payload',
    ]);
  });

  it('keeps the received object, unknown fields and raw statuses included', () => {
    const payload = {
      topic: 'order:status_update',
      order_id: 265494,
      prev_status: ' Confirmed ',
      new_status: 'CANCELED',
      updated_at: '2025-05-29 14:14:58',
      shop: { id: 7, tags: ['a', 'b'] },
      note: null,
    };
    const change = { ...order, previousStatus: ' Confirmed ', status: 'CANCELED', sourcePayload: payload };
    const event = normalize(change, facts);
    expect(event.data.source_payload).toBe(payload);
    expect(event.data.source_payload).toEqual({ ...payload });
    expect(event.data.previous_status).toBe('confirmed');
    expect(event.data.status).toBe('cancelled');
    expect(event.id).toBe(normalize(order, facts).id);
  });

  it('does not modify its arguments and gives equal output for equal input', () => {
    const payload = Object.freeze({ topic: 'order:status_update', order_id: 265494, extra: Object.freeze([1]) });
    const change = Object.freeze({ ...order, sourcePayload: payload });
    const frozenFacts = Object.freeze({ ...facts });
    expect(normalize(change, frozenFacts)).toEqual(normalize(change, frozenFacts));
  });

  it('writes a null previous status as null', () => {
    const event = normalize({ ...order, previousStatus: null }, facts);
    expect(event.data.previous_status).toBeNull();
    expect(event.id).not.toBe(normalize(order, facts).id);
  });

  it('uses the configured CloudEvents source, which is part of the id', () => {
    const event = normalize(order, { ...facts, source: 'dropea-staging' });
    expect(event.source).toBe('dropea-staging');
    expect(event.id).not.toBe(normalize(order, facts).id);
  });

  it('keeps an explicit offset, and gives the same id as the equivalent Madrid wall time', () => {
    const event = normalize({ ...order, updatedAt: '2025-05-29T17:44:58.250+05:30' }, facts);
    expect(event.time).toBe('2025-05-29T12:14:58.250Z');
    expect(event.data.occurred_at_local).toBe('2025-05-29T17:44:58.250');
    expect(event.data.utc_offset).toBe('+05:30');
    expect(event.id).toBe(normalize({ ...order, updatedAt: '2025-05-29 14:14:58.25' }, facts).id);
    const explicit = normalize({ ...order, updatedAt: '2025-05-29T14:14:58+02:00' }, facts);
    expect(explicit.id).toBe(normalize(order, facts).id);
  });

  it('reads a skipped Madrid hour with the offset from before the jump', () => {
    const event = normalize({ ...order, updatedAt: '2026-03-29 02:30:00' }, facts);
    expect(event.time).toBe('2026-03-29T01:30:00Z');
    expect(event.data.occurred_at_local).toBe('2026-03-29T02:30:00');
    expect(event.data.utc_offset).toBe('+01:00');
  });

  it('writes the largest entity id in decimal', () => {
    const event = normalize({ ...order, entityId: Number.MAX_SAFE_INTEGER }, facts);
    expect(event.subject).toBe('9007199254740991');
    expect(event.partitionkey).toBe('9007199254740991');
    expect(event.data.entity_id).toBe(9007199254740991);
  });

  it('throws when updated_at does not parse (validation rules this out first)', () => {
    expect(() => normalize({ ...order, updatedAt: '2025-02-30 10:00:00' }, facts)).toThrow(
      /updated_at: 2025-02 has no day 30/,
    );
  });
});

describe('unknownStatuses', () => {
  it.each<[string, Partial<StatusChange>, string[]]>([
    ['known statuses', {}, []],
    ['an unknown new status', { status: 'In Transit' }, ['in_transit']],
    ['an unknown previous status', { previousStatus: 'on-hold' }, ['on_hold']],
    ['both unknown', { previousStatus: 'on hold', status: 'In Transit' }, ['on_hold', 'in_transit']],
    ['the same unknown status twice', { previousStatus: 'on hold', status: 'ON-HOLD' }, ['on_hold']],
    ['a status of the other entity kind', { status: 'client_managed' }, ['client_managed']],
    ['a null previous status', { previousStatus: null }, []],
  ])('%s', (_what, change, unknown) => {
    expect(unknownStatuses(normalize({ ...order, ...change }, facts))).toEqual(unknown);
  });

  it('uses the incidence vocabulary for incidences', () => {
    const incidence: StatusChange = {
      ...order,
      topic: 'incidence:status_update',
      previousStatus: 'solution_send',
      status: 'cancelled',
    };
    expect(unknownStatuses(normalize(incidence, facts))).toEqual(['cancelled']);
  });
});
