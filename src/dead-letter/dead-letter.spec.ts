import { describe, expect, it } from '@jest/globals';
import { bodySha256, deadLetterHeaders, deadLetterOrigin, type DeadLetter } from './dead-letter.js';

const letter: DeadLetter = {
  reason: 'validation_failed',
  errors: [{ pointer: '#/order_id', field: 'order_id', detail: 'order_id must be an integer' }],
  body: Buffer.from('{"topic":"order:status_update","order_id":"1"}'),
  contentType: 'application/json; charset=utf-8',
  route: '/webhooks/dropea/orders',
  receivedAt: new Date('2026-11-22T10:00:00.123Z'),
  signature: 'valid',
  trace: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1' },
};

describe('dead-letter headers', () => {
  it('say why, where, when and how it was signed, with a digest of the exact bytes', () => {
    expect(deadLetterHeaders(letter)).toEqual({
      dlq_reason: 'validation_failed',
      dlq_errors: '[{"pointer":"#/order_id","field":"order_id","detail":"order_id must be an integer"}]',
      dlq_route: '/webhooks/dropea/orders',
      dlq_received_at: '2026-11-22T10:00:00.123Z',
      dlq_signature: 'valid',
      dlq_body_sha256: bodySha256(letter.body),
      'content-type': 'application/json; charset=utf-8',
      traceparent: letter.trace.traceparent,
      tracestate: 'vendor=1',
    });
  });

  it('leave out trace headers the request did not carry', () => {
    const headers = deadLetterHeaders({ ...letter, trace: {} });
    expect(Object.keys(headers)).not.toContain('traceparent');
    expect(Object.keys(headers)).not.toContain('tracestate');
  });

  it('read back to the origin a replay needs', () => {
    expect(deadLetterOrigin(deadLetterHeaders(letter))).toEqual({
      reason: 'validation_failed',
      route: '/webhooks/dropea/orders',
      receivedAt: letter.receivedAt,
      signature: 'valid',
      bodySha256: bodySha256(letter.body),
      trace: letter.trace,
    });
  });

  it.each(['dlq_route', 'dlq_reason', 'dlq_received_at', 'dlq_body_sha256'])('are not a dead letter without %s', (name) => {
    const headers: Record<string, string | undefined> = { ...deadLetterHeaders(letter), [name]: undefined };
    expect(deadLetterOrigin(headers)).toBeUndefined();
  });

  it('digest the body with SHA-256, in hex', () => {
    expect(bodySha256(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
