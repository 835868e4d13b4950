import type { CloudEvent } from '../../src/envelope/envelope.js';
import { normalize } from '../../src/envelope/normalize.js';
import { JsonBodyPipe } from '../../src/webhooks/json-body.pipe.js';
import { StatusUpdatePipe } from '../../src/webhooks/status-update.pipe.js';
import { WEBHOOK_ROUTES } from '../../src/webhooks/webhook-routes.js';
import { loadFixtures } from './fixtures.js';
import { SAMPLE_ORDER } from './webhook-bodies.js';

export interface SampleEnvelope {
  readonly name: string;
  readonly event: CloudEvent;
}

const receivedAt = new Date('2026-11-22T10:00:00.123Z');

/**
 * The envelope the relay builds from a webhook body, through its own pipes (JSON parsing,
 * validation) and normalize(), as the relay and the dead-letter replay do.
 */
export function envelopeOf(body: Buffer | string, source = 'dropea'): CloudEvent {
  const parsed = new JsonBodyPipe().transform(Buffer.from(body));
  const verdict = new StatusUpdatePipe(WEBHOOK_ROUTES['/webhooks/dropea']).transform(parsed);
  if (!verdict.valid) throw new Error(`not a valid webhook: ${JSON.stringify(verdict.errors)}`);
  return normalize(verdict.change, { receivedAt, source });
}

const order = SAMPLE_ORDER;
const incidence = { topic: 'incidence:status_update', incidence_id: 189044, new_status: 'client_managed', updated_at: '2025-02-13 14:23:56' };

/**
 * Every documented Dropea payload (test/fixtures/dropea), and bodies that reach each corner of
 * the envelope: no or null previous status, the largest id, unknown and nested fields, every
 * form of updated_at, statuses outside the vocabulary, another source.
 */
export function sampleEnvelopes(): SampleEnvelope[] {
  const fixtures = loadFixtures().map((fixture) => ({ name: fixture.file, event: envelopeOf(fixture.raw) }));
  const bodies: Record<string, unknown> = {
    'an incidence without prev_status': incidence,
    'an order whose prev_status is null': { ...order, prev_status: null },
    'the largest id, 2^53-1': { ...order, order_id: Number.MAX_SAFE_INTEGER },
    'unknown, nested and unicode fields': {
      ...order,
      shop: { name: 'Tienda Ñandú ✓ 🛒', tags: ['a', 1, 2.5, -0.125, 1e21, true, false, null, { deep: [[]] }] },
      '10': 'a numeric key',
      empty: {},
    },
    'ISO updated_at with nine fractional digits and an offset': { ...order, updated_at: '2025-05-29T14:14:58.123456789-03:30' },
    'updated_at in UTC with Z': { ...order, updated_at: '2025-05-29T12:14:58.5Z' },
    "Madrid's local mean time before 1901": { ...order, updated_at: '1890-06-01 12:00:00' },
    'statuses outside the vocabulary, spelt loosely': { ...incidence, prev_status: '  Solution - Send ', new_status: 'In Transit' },
  };
  const samples = Object.entries(bodies).map(([name, body]) => ({ name, event: envelopeOf(JSON.stringify(body)) }));
  return [...fixtures, ...samples, { name: 'CE_SOURCE set to a URL', event: envelopeOf(JSON.stringify(order), 'https://dropea.com') }];
}
