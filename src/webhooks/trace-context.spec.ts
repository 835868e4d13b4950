import { describe, expect, it } from '@jest/globals';
import { traceContextOf } from './trace-context.js';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceContextOf', () => {
  it('carries a valid traceparent and its tracestate', () => {
    expect(traceContextOf({ traceparent, tracestate: 'rojo=00f067aa0ba902b7' })).toEqual({ traceparent, tracestate: 'rojo=00f067aa0ba902b7' });
    expect(traceContextOf({ traceparent: traceparent.toUpperCase() })).toEqual({ traceparent });
  });

  it.each([
    ['absent', undefined],
    ['malformed', 'not-a-trace'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['an all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['the forbidden version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ])('drops a traceparent that is %s, and its tracestate with it', (_name, value) => {
    expect(traceContextOf({ traceparent: value, tracestate: 'rojo=1' })).toEqual({});
  });

  it('drops an oversized tracestate but keeps the traceparent', () => {
    expect(traceContextOf({ traceparent, tracestate: 'x'.repeat(513) })).toEqual({ traceparent });
  });
});
