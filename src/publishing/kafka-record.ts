import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import { DEAD_LETTER_HEADERS, deadLetterHeaders, type DeadLetter } from '../dead-letter/dead-letter.js';
import type { CloudEvent } from '../envelope/envelope.js';
import { encodeJson, JSON_CONTENT_TYPE, type EnvelopeEncoder } from '../envelope/envelope-format.js';
import type { KafkaTopics } from '../config/kafka.config.js';
import type { SpooledRecord } from '../spool/spool-store.js';
import type { RecordRefusedError, TraceContext } from './event-publisher.js';
import { recordSize } from './record-size.js';

/**
 * CloudEvents Kafka protocol binding
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md):
 * the whole envelope is the value and `content-type` says in which format
 * (envelope/envelope-format.ts). In the default JSON format that is the binding's structured
 * content mode (§3.3) with this media type. The `ce_` headers carry the required attributes in
 * either format, so consumers can route without decoding the value; with a protobuf value they
 * also make the record a valid binary-mode event (§3.2) whose data is the protobuf envelope.
 */
export const STRUCTURED_CONTENT_TYPE = JSON_CONTENT_TYPE;

export interface KafkaRecord {
  readonly topic: string;
  readonly message: Message;
}

/**
 * A record on its way to Kafka, with the dead letter that takes its place should Kafka refuse
 * it for good (`refusedDeadLetter`). Built only when needed: on a refusal, or when the record
 * is spooled (the spool keeps both).
 */
export interface Outgoing {
  readonly record: KafkaRecord;
  readonly fallback?: () => KafkaRecord;
}

const TOPIC_BY_TYPE: Record<CloudEvent['type'], keyof KafkaTopics> = {
  'com.dropea.order.status_changed': 'orders',
  'com.dropea.incidence.status_changed': 'incidences',
};

/** The record of one envelope, its value written by `encode` (ENVELOPE_FORMAT's encoder, JSON by default). */
export function toKafkaRecord(event: CloudEvent, trace: TraceContext, topics: KafkaTopics, encode: EnvelopeEncoder = encodeJson): KafkaRecord {
  const { value, contentType } = encode(event);
  const headers: IHeaders = {
    'content-type': contentType,
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_specversion: event.specversion,
  };
  if (trace.traceparent !== undefined) headers['traceparent'] = trace.traceparent;
  if (trace.tracestate !== undefined) headers['tracestate'] = trace.tracestate;
  return {
    topic: topics[TOPIC_BY_TYPE[event.type]],
    // The key is the entity id as a decimal string: the default partitioner hashes it with
    // murmur2 like the Java client, so every client agrees on the partition of an entity.
    message: { key: event.partitionkey, value, headers },
  };
}

/**
 * A dead letter keeps the request body byte for byte as its value; its headers say why it is
 * there (dead-letter/dead-letter.ts). It is keyed by the entity id when the body holds one, so
 * the dead letters of one entity stay in order for replay.
 */
export function deadLetterRecord(letter: DeadLetter, topics: KafkaTopics): KafkaRecord {
  return {
    topic: topics.deadLetter,
    message: { key: letter.entityId === undefined ? null : String(letter.entityId), value: letter.body, headers: deadLetterHeaders(letter) },
  };
}

/** Records grouped by topic for one `sendBatch`; records of a topic keep their order. */
export function byTopic(records: readonly KafkaRecord[]): TopicMessages[] {
  const grouped = new Map<string, TopicMessages>();
  for (const { topic, message } of records) {
    const entry = grouped.get(topic) ?? { topic, messages: [] };
    entry.messages.push(message);
    grouped.set(topic, entry);
  }
  return [...grouped.values()];
}

/** The dead letter standing in for a record Kafka refused: the fallback, saying why. */
export function refusedDeadLetter(fallback: KafkaRecord, refusal: RecordRefusedError): KafkaRecord {
  const headers = { ...fallback.message.headers, [DEAD_LETTER_HEADERS.reason]: refusal.reason, [DEAD_LETTER_HEADERS.detail]: refusal.message };
  return { topic: fallback.topic, message: { ...fallback.message, headers } };
}

/** A record as the spool keeps it: the same topic, key, bytes and headers. */
export function toSpooledRecord({ topic, message }: KafkaRecord): SpooledRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) if (value !== undefined) headers[name] = String(value);
  const value = message.value ?? Buffer.alloc(0);
  return {
    topic,
    key: message.key === undefined || message.key === null ? null : String(message.key),
    value: Buffer.isBuffer(value) ? value : Buffer.from(value),
    headers,
  };
}

export function fromSpooledRecord({ topic, key, value, headers }: SpooledRecord): KafkaRecord {
  return { topic, message: { key, value, headers: { ...headers } } };
}

/** What a record adds to one partition's batch in a produce request, at most (publishing/record-size.ts). */
export function recordBytes({ message }: KafkaRecord): number {
  return recordSize(message, 'most');
}
