import type { IHeaders } from 'kafkajs';
import { deadLetterOrigin } from '../../dead-letter/dead-letter.js';
import { decodeEnvelope } from '../../envelope/envelope-codec.js';
import type { CloudEvent } from '../../envelope/envelope.js';

/** A record as kafkajs hands it over (KafkaMessage has these fields). */
export interface RawRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers?: IHeaders;
}

/** One record read back, in the terms a downstream developer looks for. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The record's timestamp (the producer's create time, unless the topic says log-append time). */
  readonly timestamp: string;
  /** The entity id as a decimal string; null for a dead letter whose body held none. */
  readonly key: string | null;
  /** Every header, as UTF-8 text; a repeated header by its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly content: RecordContent;
}

export type RecordContent =
  /** The CloudEvents envelope, whatever ENVELOPE_FORMAT the relay wrote it in. */
  | { readonly kind: 'event'; readonly envelope: CloudEvent }
  /** A webhook the relay kept on the dead-letter topic: the request body byte for byte, why in the headers. */
  | { readonly kind: 'dead-letter'; readonly body: string }
  /** Anything else: what went wrong, and the value as text (or base64 when it is not UTF-8). */
  | { readonly kind: 'undecodable'; readonly error: string; readonly value: string | null; readonly encoding: 'utf8' | 'base64' };

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one record the way a consumer of the relay's topics should: the envelope through
 * the relay's own codec, in the format the record's `content-type` header names (CloudEvents
 * Kafka protocol binding,
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md),
 * so JSON and protobuf records print as the same JSON envelope. A record that is not an
 * envelope is shown, never dropped.
 */
export function readRecord(topic: string, partition: number, offset: string, record: RawRecord): ConsumedRecord {
  const headers = headerStrings(record.headers);
  return {
    topic,
    partition,
    offset,
    timestamp: isoTimestamp(record.timestamp),
    key: record.key === null ? null : record.key.toString('utf8'),
    headers,
    content: contentOf(record.value, headers),
  };
}

function contentOf(value: Buffer | null, headers: Readonly<Record<string, string>>): RecordContent {
  if (value === null) return { kind: 'undecodable', error: 'the record has no value', value: null, encoding: 'utf8' };
  // A dead letter's content-type is the request's (application/json), not an envelope's.
  if (deadLetterOrigin(headers) !== undefined) {
    const body = text(value);
    if (body !== undefined) return { kind: 'dead-letter', body };
  }
  try {
    return { kind: 'event', envelope: decodeEnvelope(value, headers['content-type']) };
  } catch (error) {
    const body = text(value);
    const message = error instanceof Error ? error.message : String(error);
    return body === undefined
      ? { kind: 'undecodable', error: message, value: value.toString('base64'), encoding: 'base64' }
      : { kind: 'undecodable', error: message, value: body, encoding: 'utf8' };
  }
}

function text(value: Buffer): string | undefined {
  try {
    return UTF8.decode(value);
  } catch {
    return undefined;
  }
}

/**
 * Header values as UTF-8 text. A header that occurs more than once counts by its last value,
 * as the Java client's `Headers.lastHeader` reads it (cli/dlq-replay/dlq-replay.ts reads them the same
 * way; not imported from there, which would load the relay's validation into this tool).
 */
function headerStrings(headers: IHeaders | undefined): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) strings[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return strings;
}

/** Kafka timestamps are milliseconds since the epoch, as a decimal string. */
function isoTimestamp(milliseconds: string): string {
  const date = new Date(Number(milliseconds));
  return Number.isNaN(date.getTime()) ? milliseconds : date.toISOString();
}
