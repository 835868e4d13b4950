import { createHash } from 'node:crypto';
import type { FieldError } from '../problem/problem-details.js';
import type { TraceContext } from '../publishing/event-publisher.js';

/**
 * An authenticated webhook the relay could not turn into an event: kept on the dead-letter
 * topic (KAFKA_TOPIC_DLQ) with its exact bytes, so nothing Dropea sent is lost and
 * `npm run dlq:replay` can publish it once the rules accept it.
 */
export interface DeadLetter extends WebhookOrigin {
  readonly reason: DeadLetterReason;
  readonly errors: readonly FieldError[];
  /** Why, in words, when no field is to blame (what Kafka said of a refused record). */
  readonly detail?: string;
  /** `order_id` or `incidence_id` when the body holds a usable one: the record's key. */
  readonly entityId?: number;
}

/** What the relay knows of the webhook request a record comes from, besides its parsed body. */
export interface WebhookOrigin {
  /** The request body exactly as received: the value of a dead letter. */
  readonly body: Buffer;
  readonly contentType: string;
  /** The route it came in on, e.g. `/webhooks/dropea/orders`. */
  readonly route: string;
  readonly receivedAt: Date;
  readonly signature: SignatureStatus;
  readonly trace: TraceContext;
}

/**
 * `validation_failed`: the body broke a rule (422). `unknown_topic`: a topic the relay does not
 * know (202). `record_too_large` / `record_invalid`: a valid webhook whose event Kafka refused
 * for good (publishing/event-publisher.ts, RecordRefusal): too large for its topic, or invalid.
 */
export type DeadLetterReason = 'validation_failed' | 'unknown_topic' | 'record_too_large' | 'record_invalid';

/** `valid`: a configured key signed it. `missing`: unsigned, accepted in optional mode. `unchecked`: mode off. */
export type SignatureStatus = 'valid' | 'missing' | 'unchecked';

/** Header names of a dead-letter record; values are UTF-8 strings. */
export const DEAD_LETTER_HEADERS = {
  reason: 'dlq_reason',
  errors: 'dlq_errors',
  detail: 'dlq_detail',
  route: 'dlq_route',
  receivedAt: 'dlq_received_at',
  signature: 'dlq_signature',
  bodySha256: 'dlq_body_sha256',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

export function bodySha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The record's headers: why it is here, where and when it came from, and a digest of its bytes. */
export function deadLetterHeaders(letter: DeadLetter): Record<string, string> {
  const headers: Record<string, string> = {
    [DEAD_LETTER_HEADERS.reason]: letter.reason,
    [DEAD_LETTER_HEADERS.errors]: JSON.stringify(letter.errors),
    ...(letter.detail !== undefined && { [DEAD_LETTER_HEADERS.detail]: letter.detail }),
    [DEAD_LETTER_HEADERS.route]: letter.route,
    [DEAD_LETTER_HEADERS.receivedAt]: letter.receivedAt.toISOString(),
    [DEAD_LETTER_HEADERS.signature]: letter.signature,
    [DEAD_LETTER_HEADERS.bodySha256]: bodySha256(letter.body),
    [DEAD_LETTER_HEADERS.contentType]: letter.contentType,
  };
  if (letter.trace.traceparent !== undefined) headers[DEAD_LETTER_HEADERS.traceparent] = letter.trace.traceparent;
  if (letter.trace.tracestate !== undefined) headers[DEAD_LETTER_HEADERS.tracestate] = letter.trace.tracestate;
  return headers;
}

/** What a dead-letter record says of itself, read back from its headers (for replay). */
export interface DeadLetterOrigin {
  readonly reason: string;
  readonly route: string;
  readonly receivedAt: Date;
  readonly signature: string;
  readonly bodySha256: string;
  readonly trace: TraceContext;
}

/** Reads the headers back; undefined when a record lacks what every dead letter carries. */
export function deadLetterOrigin(headers: Readonly<Record<string, string | undefined>>): DeadLetterOrigin | undefined {
  const route = headers[DEAD_LETTER_HEADERS.route];
  const receivedAt = new Date(headers[DEAD_LETTER_HEADERS.receivedAt] ?? Number.NaN);
  const reason = headers[DEAD_LETTER_HEADERS.reason];
  const digest = headers[DEAD_LETTER_HEADERS.bodySha256];
  if (route === undefined || reason === undefined || digest === undefined || Number.isNaN(receivedAt.getTime())) return undefined;
  const traceparent = headers[DEAD_LETTER_HEADERS.traceparent];
  const tracestate = headers[DEAD_LETTER_HEADERS.tracestate];
  return {
    reason,
    route,
    receivedAt,
    signature: headers[DEAD_LETTER_HEADERS.signature] ?? 'unknown',
    bodySha256: digest,
    trace: {
      ...(traceparent !== undefined && { traceparent }),
      ...(tracestate !== undefined && { tracestate }),
    },
  };
}
