import type { IHeaders } from 'kafkajs';
import type { KafkaTopics } from '../../config/kafka.config.js';
import { bodySha256, DEAD_LETTER_HEADERS, deadLetterOrigin, type DeadLetterReason } from '../../dead-letter/dead-letter.js';
import type { EnvelopeEncoder } from '../../envelope/envelope-format.js';
import { normalize } from '../../envelope/normalize.js';
import { PROBLEM_TYPES, problemTypeUri, type FieldError } from '../../problem/problem-details.js';
import { ProblemException } from '../../problem/problem.exception.js';
import { countFitting } from '../../publishing/batcher.js';
import { recordBytes, toKafkaRecord, type KafkaRecord } from '../../publishing/kafka-record.js';
import { JsonBodyPipe } from '../../webhooks/json-body.pipe.js';
import { StatusUpdatePipe } from '../../webhooks/status-update.pipe.js';
import { traceContextOf } from '../../webhooks/trace-context.js';
import { isWebhookRoute, WEBHOOK_ROUTES } from '../../webhooks/webhook-routes.js';

/** A record as read from the dead-letter topic (kafkajs's KafkaMessage has these fields). */
export interface DeadLetterRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

/** What the replay needs of the configuration: the envelope's source, format and the topics to publish to. */
export interface ReplaySettings {
  /** CE_SOURCE: part of every event id, so it must be the relay's. */
  readonly source: string;
  readonly topics: KafkaTopics;
  /** ENVELOPE_FORMAT's encoder: the relay's, so a replayed record reads like the rest of its topic. */
  readonly encode: EnvelopeEncoder;
}

/**
 * Why a dead letter still cannot be published: the relay's own reasons, a body that is no
 * longer even a JSON object to the current parser, or a route the relay no longer serves.
 */
export type StillFailingReason = DeadLetterReason | 'invalid_json' | 'not_an_object' | 'unknown_route';

export type ReplayOutcome =
  | { readonly kind: 'publish'; readonly record: KafkaRecord; readonly eventId: string }
  | {
      readonly kind: 'still-failing';
      readonly reason: StillFailingReason;
      /** One entry per offending field; empty when the failure is not about a field. */
      readonly errors: readonly FieldError[];
      readonly detail: string;
    }
  | { readonly kind: 'not-a-dead-letter'; readonly detail: string };

/** The headers every dead letter carries; without any of them a record is something else. */
const REQUIRED_HEADERS = [
  DEAD_LETTER_HEADERS.route,
  DEAD_LETTER_HEADERS.reason,
  DEAD_LETTER_HEADERS.receivedAt,
  DEAD_LETTER_HEADERS.bodySha256,
] as const;

/**
 * Runs one dead letter through what the relay does today with a webhook body: the route's
 * accepted topics, JsonBodyPipe, StatusUpdatePipe, then normalize() and toKafkaRecord(). The
 * receipt time is the one the relay recorded, so the record is the one the relay would have
 * published had today's rules been in force then: same event id, same `received_at`, same key
 * and headers (the trace context included).
 *
 * The signature is not checked again: the relay kept only webhooks that passed its check.
 */
export function replayDeadLetter(record: DeadLetterRecord, settings: ReplaySettings): ReplayOutcome {
  const headers = headerStrings(record.headers);
  const origin = deadLetterOrigin(headers);
  if (origin === undefined) return { kind: 'not-a-dead-letter', detail: describeMissingHeaders(headers) };
  if (record.value === null) return { kind: 'not-a-dead-letter', detail: 'the record has no value' };
  // The digest is what ties the value to the webhook Dropea sent: anything else is not replayed.
  if (bodySha256(record.value) !== origin.bodySha256.toLowerCase()) {
    return { kind: 'not-a-dead-letter', detail: `the value does not match ${DEAD_LETTER_HEADERS.bodySha256}` };
  }
  if (!isWebhookRoute(origin.route)) {
    return { kind: 'still-failing', reason: 'unknown_route', errors: [], detail: `${origin.route} is no longer a webhook route` };
  }

  let body: Record<string, unknown>;
  try {
    body = new JsonBodyPipe().transform(record.value);
  } catch (error) {
    if (!(error instanceof ProblemException)) throw error;
    const notAnObject = error.problem.type === problemTypeUri(PROBLEM_TYPES.notAnObject.slug);
    return { kind: 'still-failing', reason: notAnObject ? 'not_an_object' : 'invalid_json', errors: [], detail: error.problem.detail };
  }

  const verdict = new StatusUpdatePipe(WEBHOOK_ROUTES[origin.route]).transform(body);
  if (!verdict.valid) {
    const fields = verdict.errors.map((error) => error.field).join(', ');
    return { kind: 'still-failing', reason: verdict.reason, errors: verdict.errors, detail: `Invalid field(s): ${fields}` };
  }

  const event = normalize(verdict.change, { receivedAt: origin.receivedAt, source: settings.source });
  // Through the relay's own W3C check, so a header the relay would have dropped is dropped here too.
  const trace = traceContextOf({ traceparent: origin.trace.traceparent, tracestate: origin.trace.tracestate });
  return { kind: 'publish', record: toKafkaRecord(event, trace, settings.topics, settings.encode), eventId: event.id };
}

/**
 * Header values as UTF-8 strings. A header that occurs more than once counts by its last
 * value, as the Java client's `Headers.lastHeader` reads it.
 */
export function headerStrings(headers: IHeaders | undefined): Record<string, string | undefined> {
  const strings: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    strings[name] = last === undefined ? undefined : Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return strings;
}

function describeMissingHeaders(headers: Record<string, string | undefined>): string {
  const missing = REQUIRED_HEADERS.filter((name) => headers[name] === undefined);
  if (missing.length > 0) return `no ${missing.join(', ')} header${missing.length > 1 ? 's' : ''}`;
  return `${DEAD_LETTER_HEADERS.receivedAt} is not a date`;
}

/** One line of the report: where the record sits in the dead-letter topic, and what became of it. */
export interface ReplayedRecord {
  readonly partition: number;
  readonly offset: string;
  /** The dead letter's own key (the entity id when the body held one). */
  readonly key: string | null;
  readonly outcome: ReplayOutcome;
}

export interface ReplayTally {
  readonly records: number;
  readonly publish: number;
  readonly stillFailing: number;
  readonly notDeadLetters: number;
}

export function tally(replayed: readonly ReplayedRecord[]): ReplayTally {
  const count = (kind: ReplayOutcome['kind']): number => replayed.filter((entry) => entry.outcome.kind === kind).length;
  return {
    records: replayed.length,
    publish: count('publish'),
    stillFailing: count('still-failing'),
    notDeadLetters: count('not-a-dead-letter'),
  };
}

/** `applied`: the publishable records were published, not only found publishable. */
export function reportLine({ partition, offset, outcome }: ReplayedRecord, applied: boolean): string {
  const at = `${partition}/${offset}`;
  switch (outcome.kind) {
    case 'publish': {
      const { topic, message } = outcome.record;
      return `${at}  ${applied ? 'published' : 'would publish'} to ${topic}  key ${String(message.key)}  id ${outcome.eventId}`;
    }
    case 'still-failing': {
      const errors = outcome.errors.map((error) => `${error.field}: ${error.detail}`).join('; ');
      return `${at}  still failing (${outcome.reason})  ${errors === '' ? outcome.detail : errors}`;
    }
    case 'not-a-dead-letter':
      return `${at}  not a dead letter  ${outcome.detail}`;
  }
}

export function summaryLine(counts: ReplayTally, applied: boolean): string {
  return (
    `records ${counts.records}, ${applied ? 'published' : 'would publish'} ${counts.publish}, ` +
    `still failing ${counts.stillFailing}, not dead letters ${counts.notDeadLetters}`
  );
}

/** The `--json` report: one object, the outcome of every record without the published bytes. */
export interface JsonReport {
  readonly deadLetterTopic: string;
  readonly applied: boolean;
  /** False when a Kafka error stopped the replay; `error` then says what happened. */
  readonly complete: boolean;
  readonly error?: string;
  readonly summary: ReplayTally;
  readonly records: readonly Record<string, unknown>[];
}

export function jsonReport(
  deadLetterTopic: string,
  replayed: readonly ReplayedRecord[],
  applied: boolean,
  error?: string,
): JsonReport {
  return {
    deadLetterTopic,
    applied,
    complete: error === undefined,
    ...(error !== undefined && { error }),
    summary: tally(replayed),
    // In topic order, whatever order the partitions were fetched in.
    records: [...replayed].sort(byPosition).map(({ partition, offset, key, outcome }) => {
      const at = { partition, offset, key };
      switch (outcome.kind) {
        case 'publish':
          return { ...at, outcome: outcome.kind, eventId: outcome.eventId, topic: outcome.record.topic, eventKey: outcome.record.message.key };
        case 'still-failing':
          return { ...at, outcome: outcome.kind, reason: outcome.reason, errors: outcome.errors, detail: outcome.detail };
        case 'not-a-dead-letter':
          return { ...at, outcome: outcome.kind, detail: outcome.detail };
      }
    }),
  };
}

function byPosition(a: ReplayedRecord, b: ReplayedRecord): number {
  if (a.partition !== b.partition) return a.partition - b.partition;
  const [x, y] = [BigInt(a.offset), BigInt(b.offset)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** How many records, and bytes, one produce request may carry (KAFKA_BATCH_MAX_RECORDS / _BYTES). */
export interface BatchSize {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

/**
 * Splits records, in order, into produce requests within the relay's batch limits: envelopes
 * are larger than the bodies they wrap, so one fetched batch of dead letters can outgrow the
 * broker's request limit. A record larger than the limit on its own still goes, alone.
 */
export function inProduceRequests(records: readonly KafkaRecord[], size: BatchSize): KafkaRecord[][] {
  const shape = { ...size, sizeOf: recordBytes, laneOf: (record: KafkaRecord) => record.topic, laneLimit: () => Number.POSITIVE_INFINITY };
  const requests: KafkaRecord[][] = [];
  for (let rest = records; rest.length > 0; ) {
    const count = Math.max(1, countFitting(rest, shape, (record) => record));
    requests.push(rest.slice(0, count));
    rest = rest.slice(count);
  }
  return requests;
}
