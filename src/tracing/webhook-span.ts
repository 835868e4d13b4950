import type { IncomingHttpHeaders } from 'node:http';
import {
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import type { TraceContext } from '../publishing/event-publisher.js';

/** Returns the no-op tracer until the SDK registers a provider (tracing-sdk.ts). */
const tracer = trace.getTracer('dropea-relay');

/**
 * Off until the SDK has started (tracing-sdk.ts): with tracing off a request makes no span, not
 * even a no-op one, and pays only for reading its own `traceparent`.
 */
let recording = false;

export function recordWebhookSpans(): void {
  recording = true;
}

export interface WebhookSpan {
  /** The relay's span for the request; undefined when tracing is off. */
  readonly span: Span | undefined;
  /** What the request's records carry to Kafka. */
  readonly trace: TraceContext;
}

/**
 * Starts the SERVER span of one webhook request as the child of the request's W3C
 * `traceparent` (https://www.w3.org/TR/trace-context/). With tracing on, the records carry the
 * relay's own span, so a consumer's span links to it and, through it, to the sender's; with
 * tracing off, they carry the request's trace context unchanged (`fallback`).
 */
export function startWebhookSpan(method: string, route: string, headers: IncomingHttpHeaders, fallback: () => TraceContext): WebhookSpan {
  if (!recording) return { span: undefined, trace: fallback() };
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  // HTTP server span attributes: https://opentelemetry.io/docs/specs/semconv/http/http-spans/
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'url.path': route } },
    parent,
  );
  if (!isSpanContextValid(span.spanContext())) return { span: undefined, trace: fallback() };
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  const { traceparent, tracestate } = carrier;
  return { span, trace: tracestate === undefined ? { traceparent } : { traceparent, tracestate } };
}

/** Ends the span with the answer; only a 5xx is an error of the relay's (semantic conventions). */
export function endWebhookSpan(span: Span, statusCode: number, attributes: Attributes): void {
  span.setAttributes({ 'http.response.status_code': statusCode, ...attributes });
  if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
