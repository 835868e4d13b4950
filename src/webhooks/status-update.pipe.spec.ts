import { describe, expect, it } from '@jest/globals';
import { ProblemException } from '../problem/problem.exception.js';
import { JsonBodyPipe } from './json-body.pipe.js';
import { StatusUpdatePipe } from './status-update.pipe.js';

const incidence = {
  topic: 'incidence:status_update',
  incidence_id: 189044,
  new_status: 'client_managed',
  updated_at: '2025-02-13 14:23:56',
  extra: { kept: true },
};

function problemOf(work: () => unknown): Record<string, unknown> {
  try {
    work();
  } catch (error) {
    if (error instanceof ProblemException) return error.problem as unknown as Record<string, unknown>;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('StatusUpdatePipe', () => {
  it('reduces a valid body to a StatusChange and keeps the body itself as source_payload', () => {
    const verdict = new StatusUpdatePipe().transform(incidence);
    expect(verdict).toEqual({
      valid: true,
      change: {
        topic: 'incidence:status_update',
        entityId: 189044,
        previousStatus: null,
        status: 'client_managed',
        updatedAt: '2025-02-13 14:23:56',
        sourcePayload: incidence,
      },
    });
    expect(verdict.valid && verdict.change.sourcePayload).toBe(incidence);
  });

  it('validates a body with members named like Object.prototype properties, and keeps them in source_payload', () => {
    const body = { ...incidence, constructor: 'x', toString: 1, hasOwnProperty: null, prototype: {} };
    expect(new StatusUpdatePipe().transform(body)).toMatchObject({ valid: true, change: { entityId: 189044, sourcePayload: body } });
    const broken = { ...body, incidence_id: 'x' };
    expect(new StatusUpdatePipe().transform(broken)).toMatchObject({ valid: false, errors: [{ field: 'incidence_id' }] });
  });

  it('counts a status in code points, as the JSON Schema does: variation selectors and astral characters count once each', () => {
    const withStatus = (status: string): Record<string, unknown> => ({ ...incidence, new_status: status });
    const pipe = new StatusUpdatePipe();
    expect(pipe.transform(withStatus('x\uFE0F'.repeat(32))).valid).toBe(true);
    expect(pipe.transform(withStatus('x\uFE0F'.repeat(33)))).toMatchObject({ valid: false, errors: [{ field: 'new_status', detail: 'new_status must be at most 64 characters' }] });
    expect(pipe.transform(withStatus('\u{1F600}'.repeat(64))).valid).toBe(true);
    expect(pipe.transform(withStatus('\u{1F600}'.repeat(65))).valid).toBe(false);
  });

  it('treats a null prev_status like an absent one', () => {
    const verdict = new StatusUpdatePipe().transform({ ...incidence, prev_status: null });
    expect(verdict.valid && verdict.change.previousStatus).toBeNull();
  });

  it('refuses a topic the route does not accept, naming the field, and keeps the entity id for the dead letter', () => {
    expect(new StatusUpdatePipe(['order:status_update']).transform(incidence)).toEqual({
      valid: false,
      reason: 'validation_failed',
      entityId: 189044,
      errors: [{ field: 'topic', pointer: '#/topic', detail: 'topic must be "order:status_update" on this route' }],
    });
  });

  it('gives one message per offending field, the first rule it breaks', () => {
    expect(new StatusUpdatePipe().transform({ topic: 'order:status_update', incidence_id: 2 ** 53 })).toEqual({
      valid: false,
      reason: 'validation_failed',
      entityId: undefined,
      errors: [
        { field: 'order_id', pointer: '#/order_id', detail: 'order_id is required' },
        { field: 'new_status', pointer: '#/new_status', detail: 'new_status is required' },
        { field: 'updated_at', pointer: '#/updated_at', detail: 'updated_at is required' },
      ],
    });
  });

  it.each([
    ['a new topic on the route for every topic', 'unknown_topic', undefined, 'product:stock_update'],
    ['a new topic on a route for one topic', 'validation_failed', ['order:status_update'] as const, 'product:stock_update'],
    ['an empty topic', 'validation_failed', undefined, ''],
    ['a topic that is not a string', 'validation_failed', undefined, 7],
    ['no topic', 'validation_failed', undefined, undefined],
    ['an inherited property name as topic', 'unknown_topic', undefined, 'toString'],
  ])('calls %s %s', (_name, reason, accepts, topic) => {
    const verdict = new StatusUpdatePipe(accepts).transform({ ...incidence, topic });
    expect(verdict).toMatchObject({ valid: false, reason, errors: [{ field: 'topic' }] });
  });
});

describe('JsonBodyPipe', () => {
  const pipe = new JsonBodyPipe();

  it('parses a JSON object from the raw bytes', () => {
    expect(pipe.transform(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
  });

  it.each([
    ['no body (no JSON content type)', undefined, 415],
    ['invalid JSON', Buffer.from('{'), 400],
    ['an array', Buffer.from('[]'), 400],
    ['a number', Buffer.from('42'), 400],
    ['a __proto__ key', Buffer.from('{"__proto__":{"x":1}}'), 400],
    ['a constructor.prototype key', Buffer.from('{"constructor":{"prototype":{"x":1}}}'), 400],
  ])('refuses %s with %i', (_name, body, status) => {
    expect(problemOf(() => pipe.transform(body))).toMatchObject({ status });
  });

  it('never echoes the body in its answer', () => {
    const problem = problemOf(() => pipe.transform(Buffer.from('{"secret-value')));
    expect(JSON.stringify(problem)).not.toContain('secret-value');
  });
});
