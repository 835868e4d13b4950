import type { CloudEvent } from './envelope.js';

/**
 * The envelope as a Kafka record value, in the format ENVELOPE_FORMAT names. The shape is the
 * one proto/dropea/relay/v1/envelope.proto defines; the formats only write it differently:
 *
 * - `json`: the CloudEvents JSON event format
 *   (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md), the
 *   envelope exactly as `JSON.stringify` writes it. The relay's hot path: a string, no copy.
 * - `protobuf`: the binary encoding of `dropea.relay.v1.StatusChangedEvent`
 *   (https://protobuf.dev/programming-guides/encoding/), written by envelope-codec.ts.
 */
export type EnvelopeFormat = 'json' | 'protobuf';

export const ENVELOPE_FORMATS: readonly EnvelopeFormat[] = ['json', 'protobuf'];

/** The CloudEvents JSON event format's media type (structured content mode). */
export const JSON_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/** The protobuf message every protobuf record value holds (its generated schema's typeName; a unit test holds them equal). */
export const PROTOBUF_MESSAGE = 'dropea.relay.v1.StatusChangedEvent';

/**
 * `application/protobuf` is the IANA-registered media type of the protobuf binary encoding
 * (https://www.iana.org/assignments/media-types/application/protobuf; `application/x-protobuf`
 * is its deprecated alias). The registration has no parameter naming the message, and bytes
 * alone do not say which it is, so `proto=` names it, as Prometheus's protobuf exposition format
 * does. Not `application/cloudevents+protobuf`: that is the CloudEvents protobuf format, whose
 * value is an `io.cloudevents.v1.CloudEvent` message, another schema.
 */
export const PROTOBUF_CONTENT_TYPE = `application/protobuf; proto=${PROTOBUF_MESSAGE}`;

export interface EncodedEnvelope {
  readonly value: Buffer | string;
  readonly contentType: string;
}

/** Writes one envelope as a record value, with its content-type header. */
export type EnvelopeEncoder = (event: CloudEvent) => EncodedEnvelope;

export const encodeJson: EnvelopeEncoder = (event) => ({ value: JSON.stringify(event), contentType: JSON_CONTENT_TYPE });

/**
 * The encoder of `format`. The protobuf one loads envelope-codec.ts and @bufbuild/protobuf with
 * it, which a relay writing JSON never needs (2 MB at rest; docs/benchmarks.md, Memory), so the
 * relay asks for it once, at start.
 */
export async function envelopeEncoder(format: EnvelopeFormat): Promise<EnvelopeEncoder> {
  if (format === 'json') return encodeJson;
  const { encodeProtobuf } = await import('./envelope-codec.js');
  return encodeProtobuf;
}
