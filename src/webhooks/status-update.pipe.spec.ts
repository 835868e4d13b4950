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
    const change = new StatusUpdatePipe().transform(incidence);
    expect(change).toEqual({
      topic: 'incidence:status_update',
      entityId: 189044,
      previousStatus: null,
      status: 'client_managed',
      updatedAt: '2025-02-13 14:23:56',
      sourcePayload: incidence,
    });
    expect(change.sourcePayload).toBe(incidence);
  });

  it('treats a null prev_status like an absent one', () => {
    const change = new StatusUpdatePipe().transform({ ...incidence, prev_status: null });
    expect(change.previousStatus).toBeNull();
  });

  it('refuses a topic the route does not accept, naming the field', () => {
    const problem = problemOf(() => new StatusUpdatePipe(['order:status_update']).transform(incidence));
    expect(problem).toMatchObject({
      status: 422,
      errors: [{ field: 'topic', pointer: '#/topic', detail: 'topic must be "order:status_update" on this route' }],
    });
  });

  it('gives one message per offending field, the first rule it breaks', () => {
    const problem = problemOf(() => new StatusUpdatePipe().transform({ topic: 'order:status_update' }));
    expect(problem['errors']).toEqual([
      { field: 'order_id', pointer: '#/order_id', detail: 'order_id is required' },
      { field: 'new_status', pointer: '#/new_status', detail: 'new_status is required' },
      { field: 'updated_at', pointer: '#/updated_at', detail: 'updated_at is required' },
    ]);
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
