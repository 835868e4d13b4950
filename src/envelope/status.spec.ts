import { describe, expect, it } from '@jest/globals';
import type { EntityKind } from './envelope.js';
import { canonicalStatus, isKnownStatus, KNOWN_STATUSES } from './status.js';

describe('canonicalStatus', () => {
  const table: Array<[EntityKind, string, string, boolean]> = [
    // documented order statuses
    ['order', 'pending', 'pending', true],
    ['order', 'confirmed', 'confirmed', true],
    ['order', 'cancelled', 'cancelled', true],
    ['order', 'error', 'error', true],
    // documented incidence statuses, both editions' spellings
    ['incidence', 'pending', 'pending', true],
    ['incidence', 'client_managed', 'client_managed', true],
    ['incidence', 'solution_send', 'solution_sent', true],
    ['incidence', 'resolution_send', 'solution_sent', true],
    ['incidence', 'resolved', 'resolved', true],
    // case, whitespace and hyphens
    ['incidence', '  Client Managed ', 'client_managed', true],
    ['incidence', 'CLIENT_MANAGED', 'client_managed', true],
    ['incidence', 'client-managed', 'client_managed', true],
    ['incidence', 'client \t- managed', 'client_managed', true],
    ['incidence', 'solution-send', 'solution_sent', true],
    ['incidence', 'Resolution Send', 'solution_sent', true],
    ['incidence', 'solution_sent', 'solution_sent', true],
    ['order', 'CANCELED', 'cancelled', true],
    ['order', 'canceled', 'cancelled', true],
    ['order', ' Confirmed\n', 'confirmed', true],
    // known for one kind only
    ['order', 'client_managed', 'client_managed', false],
    ['order', 'solution_send', 'solution_sent', false],
    ['incidence', 'cancelled', 'cancelled', false],
    ['incidence', 'confirmed', 'confirmed', false],
    // unknown values pass through canonicalised
    ['order', 'In Transit', 'in_transit', false],
    ['order', 'ready--to  ship', 'ready_to_ship', false],
    ['incidence', 'Escalated', 'escalated', false],
    ['order', 'on_hold', 'on_hold', false],
    ['order', '   ', '', false],
  ];

  it.each(table)('%s %j → %j (known: %s)', (kind, raw, status, known) => {
    expect(canonicalStatus(kind, raw)).toEqual({ status, known });
  });

  it.each(table)('is idempotent: %s %j', (kind, raw) => {
    const once = canonicalStatus(kind, raw);
    expect(canonicalStatus(kind, once.status)).toEqual(once);
  });
});

describe('isKnownStatus', () => {
  it('holds the documented vocabulary per entity kind', () => {
    expect([...KNOWN_STATUSES.order]).toEqual(['pending', 'confirmed', 'cancelled', 'error']);
    expect([...KNOWN_STATUSES.incidence]).toEqual(['pending', 'client_managed', 'solution_sent', 'resolved']);
  });

  it('expects canonical values', () => {
    expect(isKnownStatus('order', 'cancelled')).toBe(true);
    expect(isKnownStatus('order', 'CANCELLED')).toBe(false);
  });
});
