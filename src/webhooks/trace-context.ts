import type { IncomingHttpHeaders } from 'node:http';
import type { TraceContext } from '../publishing/event-publisher.js';

// W3C Trace Context §3.2 (https://www.w3.org/TR/trace-context/#traceparent-header): version 00
// layout; ids of all zeros are invalid. An invalid traceparent is dropped with its tracestate (§3.3).
const TRACEPARENT = /^[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
const MAX_TRACESTATE_LENGTH = 512;

export function traceContextOf(headers: IncomingHttpHeaders): TraceContext {
  const traceparent = single(headers['traceparent'])?.trim().toLowerCase();
  if (traceparent === undefined || !TRACEPARENT.test(traceparent) || traceparent.startsWith('ff')) return {};
  const tracestate = single(headers['tracestate'])?.trim();
  return tracestate && tracestate.length <= MAX_TRACESTATE_LENGTH ? { traceparent, tracestate } : { traceparent };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
