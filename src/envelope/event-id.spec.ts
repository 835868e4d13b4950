import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { v5 as uuidv5, validate, version } from 'uuid';
import { EVENT_ID_NAMESPACE, eventId, type EventIdentity } from './event-id.js';

const base: EventIdentity = {
  source: 'dropea',
  topic: 'order:status_update',
  entityId: 265494,
  previousStatus: 'confirmed',
  status: 'cancelled',
  utcTime: '2025-05-29T12:14:58Z',
};

describe('eventId', () => {
  it('is a UUID v5 in the relay namespace', () => {
    expect(validate(EVENT_ID_NAMESPACE)).toBe(true);
    const id = eventId(base);
    expect(validate(id)).toBe(true);
    expect(version(id)).toBe(5);
  });

  it('is stable across releases: same fields, same id', () => {
    expect(eventId(base)).toBe('8b614812-a0f8-53b5-8857-7581c1e4365b');
    expect(eventId({ ...base })).toBe(eventId(base));
  });

  it('hashes a JSON array of the canonical fields', () => {
    const fields = ['dropea', 'order:status_update', '265494', 'confirmed', 'cancelled', '2025-05-29T12:14:58Z'];
    const name = JSON.stringify(fields);
    expect(eventId(base)).toBe(uuidv5(name, EVENT_ID_NAMESPACE));
  });

  it('is uuid v5 of that name for any source and entity, non-ASCII included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1 }), (source, entityId) => {
        const name = JSON.stringify([source, 'order:status_update', String(entityId), 'confirmed', 'cancelled', '2025-05-29T12:14:58Z']);
        expect(eventId({ ...base, source, entityId })).toBe(uuidv5(name, EVENT_ID_NAMESPACE));
      }),
      { numRuns: 2000 },
    );
  });

  it.each<[string, Partial<EventIdentity>]>([
    ['raw status spellings', { previousStatus: ' Confirmed ', status: 'CANCELED' }],
    ['a fraction of zeros', { utcTime: '2025-05-29T12:14:58.000Z' }],
    ['a fraction of nine zeros', { utcTime: '2025-05-29T12:14:58.000000000Z' }],
  ])('is the same for %s', (_what, change) => {
    expect(eventId({ ...base, ...change })).toBe(eventId(base));
  });

  it('is the same for solution_send and resolution_send', () => {
    const incidence: EventIdentity = {
      ...base,
      topic: 'incidence:status_update',
      previousStatus: 'client_managed',
      status: 'solution_send',
    };
    expect(eventId({ ...incidence, status: 'resolution_send' })).toBe(eventId(incidence));
    expect(eventId({ ...incidence, status: 'solution_sent' })).toBe(eventId(incidence));
    expect(eventId({ ...incidence, status: 'resolved', previousStatus: 'solution_send' })).toBe(
      eventId({ ...incidence, status: 'resolved', previousStatus: 'resolution_send' }),
    );
  });

  it('treats equal fractions alike however many digits they have', () => {
    const half = eventId({ ...base, utcTime: '2025-05-29T12:14:58.5Z' });
    expect(eventId({ ...base, utcTime: '2025-05-29T12:14:58.500Z' })).toBe(half);
    expect(eventId({ ...base, utcTime: '2025-05-29T12:14:58.500000Z' })).toBe(half);
    expect(half).not.toBe(eventId(base));
  });

  it.each<[string, Partial<EventIdentity>]>([
    ['source', { source: 'dropea-staging' }],
    ['topic', { topic: 'incidence:status_update' }],
    ['entity id', { entityId: 265495 }],
    ['previous status', { previousStatus: 'pending' }],
    ['previous status null', { previousStatus: null }],
    ['previous status "null"', { previousStatus: 'null' }],
    ['previous status empty', { previousStatus: '' }],
    ['status', { status: 'error' }],
    ['statuses swapped', { previousStatus: 'cancelled', status: 'confirmed' }],
    ['time, one second later', { utcTime: '2025-05-29T12:14:59Z' }],
    ['time, one millisecond later', { utcTime: '2025-05-29T12:14:58.001Z' }],
    ['time, one nanosecond later', { utcTime: '2025-05-29T12:14:58.000000001Z' }],
    ['time, one hour earlier', { utcTime: '2025-05-29T11:14:58Z' }],
  ])('differs when the %s differs', (_what, change) => {
    expect(eventId({ ...base, ...change })).not.toBe(eventId(base));
  });

  it('does not confuse fields whose text would run together', () => {
    const a = eventId({ ...base, source: 'dropea', previousStatus: 'x,y' });
    const b = eventId({ ...base, source: 'dropea,x', previousStatus: 'y' });
    expect(a).not.toBe(b);
  });
});
