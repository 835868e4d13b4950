import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import { deadLetterHeaders, type DeadLetter } from '../dead-letter/dead-letter.js';
import type { CloudEvent } from '../envelope/envelope.js';
import { encodeEnvelope, JSON_CONTENT_TYPE, type EnvelopeFormat } from '../envelope/envelope-codec.js';
import type { KafkaTopics } from '../config/kafka.config.js';
import type { SpoolEntry } from '../spool/spool-format.js';
import type { TraceContext } from './event-publisher.js';

/**
 * CloudEvents Kafka protocol binding
 * (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md):
 * the whole envelope is the value and `content-type` says in which format
 * (envelope/envelope-codec.ts). In the default JSON format that is the binding's structured
 * content mode (§3.3) with this media type. The `ce_` headers carry the required attributes in
 * either format, so consumers can route without decoding the value; with a protobuf value they
 * also make the record a valid binary-mode event (§3.2) whose data is the protobuf envelope.
 */
export const STRUCTURED_CONTENT_TYPE = JSON_CONTENT_TYPE;

export interface KafkaRecord {
  readonly topic: string;
  readonly message: Message;
}

const TOPIC_BY_TYPE: Record<CloudEvent['type'], keyof KafkaTopics> = {
  'com.dropea.order.status_changed': 'orders',
  'com.dropea.incidence.status_changed': 'incidences',
};

/** The record of one envelope, its value in `format` (ENVELOPE_FORMAT, JSON by default). */
export function toKafkaRecord(event: CloudEvent, trace: TraceContext, topics: KafkaTopics, format: EnvelopeFormat = 'json'): KafkaRecord {
  const { value, contentType } = encodeEnvelope(event, format);
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

/** A record as the spool keeps it: the same topic, key, bytes and headers. */
export function toSpoolEntry({ topic, message }: KafkaRecord): SpoolEntry {
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

export function fromSpoolEntry({ topic, key, value, headers }: SpoolEntry): KafkaRecord {
  return { topic, message: { key, value, headers: { ...headers } } };
}

/** What a record adds to a produce request, near enough to bound a batch's size. */
export function recordBytes({ message }: KafkaRecord): number {
  let bytes = String(message.key ?? '').length + (message.value?.length ?? 0) + 64;
  for (const [name, value] of Object.entries(message.headers ?? {})) bytes += name.length + String(value).length + 8;
  return bytes;
}
