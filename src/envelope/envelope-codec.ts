import { create, fromBinary, fromJson, toBinary, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import type { CloudEvent, CloudEventType, EntityKind } from './envelope.js';
import { encodeJson, PROTOBUF_CONTENT_TYPE, PROTOBUF_MESSAGE, type EncodedEnvelope, type EnvelopeEncoder, type EnvelopeFormat } from './envelope-format.js';
import { StatusChangedEventSchema, type StatusChangedEvent } from './gen/dropea/relay/v1/envelope_pb.js';

/**
 * The envelope written in either format of envelope-format.ts and read back from both, through
 * the protobuf message proto/dropea/relay/v1/envelope.proto defines. It loads @bufbuild/protobuf:
 * the relay imports it only when ENVELOPE_FORMAT=protobuf (envelope-format.ts, envelopeEncoder);
 * the tools that read records (consume, dlq-replay) always do.
 */

/** The protobuf format's encoder (envelope-format.ts, envelopeEncoder). */
export const encodeProtobuf: EnvelopeEncoder = (event) => {
  const bytes = toBinary(StatusChangedEventSchema, toMessage(event));
  // A view of the serialised bytes, not a copy.
  return { value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), contentType: PROTOBUF_CONTENT_TYPE };
};

/** The record value and its content-type header for one envelope, in `format`. */
export function encodeEnvelope(event: CloudEvent, format: EnvelopeFormat): EncodedEnvelope {
  return (format === 'json' ? encodeJson : encodeProtobuf)(event);
}

/**
 * The envelope from a record value, by its content-type header (JSON when the header is absent);
 * throws on a value it cannot decode.
 *
 * Both formats are read into the protobuf message and checked the same way, so a value decodes
 * to the same envelope whichever format carried it. Members or fields this version does not know
 * are ignored, as protobuf readers ignore unknown fields, so a consumer keeps working when a
 * later version of the schema adds one. The checks are those the envelope's TypeScript type
 * states (constants, entity kinds, event types, present values, a safe-integer entity id); the
 * full rules, patterns and formats included, are docs/schemas/status-changed-event.schema.json.
 */
export function decodeEnvelope(value: Buffer, contentType: string | undefined): CloudEvent {
  const format = formatOf(contentType);
  let message: StatusChangedEvent;
  try {
    message =
      format === 'json'
        ? fromJson(StatusChangedEventSchema, JSON.parse(value.toString('utf8')) as JsonValue, { ignoreUnknownFields: true })
        : fromBinary(StatusChangedEventSchema, value);
  } catch (error) {
    throw new EnvelopeDecodeError(`not a ${format} ${PROTOBUF_MESSAGE}: ${(error as Error).message}`, { cause: error });
  }
  return fromMessage(message);
}

export class EnvelopeDecodeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EnvelopeDecodeError';
  }
}

/**
 * The format a content-type header names (RFC 9110 §8.3.1: type and subtype are
 * case-insensitive, parameters follow `;`). An unknown media type, or a parameter that names
 * another message, another protobuf encoding or another charset, is refused.
 */
export function formatOf(contentType: string | undefined): EnvelopeFormat {
  if (contentType === undefined) return 'json';
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  const params = new Map(
    parameters
      .filter((part) => part !== '')
      .map((part) => {
        const at = part.indexOf('=');
        const name = (at < 0 ? part : part.slice(0, at)).trim().toLowerCase();
        const raw = at < 0 ? '' : part.slice(at + 1).trim();
        return [name, raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw];
      }),
  );
  switch (mediaType.toLowerCase()) {
    case 'application/cloudevents+json': {
      const charset = params.get('charset');
      if (charset !== undefined && charset.toLowerCase() !== 'utf-8') throw new EnvelopeDecodeError(`charset ${charset} is not utf-8`);
      return 'json';
    }
    case 'application/protobuf':
    case 'application/x-protobuf': {
      const proto = params.get('proto');
      if (proto !== undefined && proto !== PROTOBUF_MESSAGE) throw new EnvelopeDecodeError(`proto=${proto} is not ${PROTOBUF_MESSAGE}`);
      const encoding = params.get('encoding');
      if (encoding !== undefined && encoding.toLowerCase() !== 'binary') throw new EnvelopeDecodeError(`encoding=${encoding} is not binary`);
      return 'protobuf';
    }
    default:
      throw new EnvelopeDecodeError(`content-type ${contentType} is not an envelope format`);
  }
}

function toMessage(event: CloudEvent): StatusChangedEvent {
  const { data } = event;
  return create(StatusChangedEventSchema, {
    specversion: event.specversion,
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time,
    datacontenttype: event.datacontenttype,
    partitionkey: event.partitionkey,
    data: {
      entity: data.entity,
      entityId: BigInt(data.entity_id),
      // proto3 `optional`: unset, not "", stands for null.
      ...(data.previous_status !== null && { previousStatus: data.previous_status }),
      status: data.status,
      occurredAtLocal: data.occurred_at_local,
      utcOffset: data.utc_offset,
      receivedAt: data.received_at,
      // The parsed request body: JSON values only, which a Struct holds as they are (numbers
      // as doubles, as JavaScript holds them).
      sourcePayload: data.source_payload as JsonObject,
    },
  });
}

const EVENT_TYPES: ReadonlySet<string> = new Set<CloudEventType>(['com.dropea.order.status_changed', 'com.dropea.incidence.status_changed']);
const ENTITY_KINDS: ReadonlySet<string> = new Set<EntityKind>(['order', 'incidence']);

function fromMessage(message: StatusChangedEvent): CloudEvent {
  const { data } = message;
  const fail = (what: string): never => {
    throw new EnvelopeDecodeError(`not a ${PROTOBUF_MESSAGE} the relay writes: ${what}`);
  };
  if (message.specversion !== '1.0') fail(`specversion "${message.specversion}" is not "1.0"`);
  if (!EVENT_TYPES.has(message.type)) fail(`type "${message.type}" is not a Dropea status change`);
  if (message.datacontenttype !== 'application/json') fail(`datacontenttype "${message.datacontenttype}" is not "application/json"`);
  if (data === undefined) return fail('data is missing');
  if (!ENTITY_KINDS.has(data.entity)) fail(`data.entity "${data.entity}" is not order or incidence`);
  if (data.entityId < 1n || data.entityId > BigInt(Number.MAX_SAFE_INTEGER)) fail(`data.entity_id ${data.entityId} is outside 1..2^53-1`);
  if (data.sourcePayload === undefined) return fail('data.source_payload is missing');
  const present = { id: message.id, source: message.source, subject: message.subject, time: message.time, partitionkey: message.partitionkey };
  const presentData = { status: data.status, occurred_at_local: data.occurredAtLocal, utc_offset: data.utcOffset, received_at: data.receivedAt };
  for (const [name, text] of Object.entries(present)) if (text === '') fail(`${name} is missing`);
  for (const [name, text] of Object.entries(presentData)) if (text === '') fail(`data.${name} is missing`);
  if (data.previousStatus === '') fail('data.previous_status is empty');

  // Members in the order normalize() writes them, so re-serialising gives the JSON format's bytes.
  return {
    specversion: '1.0',
    id: message.id,
    source: message.source,
    type: message.type as CloudEventType,
    subject: message.subject,
    time: message.time,
    datacontenttype: 'application/json',
    partitionkey: message.partitionkey,
    data: {
      entity: data.entity as EntityKind,
      entity_id: Number(data.entityId),
      previous_status: data.previousStatus ?? null,
      status: data.status,
      occurred_at_local: data.occurredAtLocal,
      utc_offset: data.utcOffset,
      received_at: data.receivedAt,
      source_payload: data.sourcePayload,
    },
  };
}
