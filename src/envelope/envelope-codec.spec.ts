import { describe, expect, it } from '@jest/globals';
import { fromBinary, isFieldSet, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { envelopeOf, sampleEnvelopes } from '../../test/support/envelopes.js';
import { decodeEnvelope, encodeEnvelope, EnvelopeDecodeError, formatOf } from './envelope-codec.js';
import { encodeJson, ENVELOPE_FORMATS, envelopeEncoder, JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, PROTOBUF_MESSAGE } from './envelope-format.js';
import { StatusChangedEventSchema, StatusChangeSchema } from './gen/dropea/relay/v1/envelope_pb.js';

const samples = sampleEnvelopes();
const order = envelopeOf(
  JSON.stringify({ topic: 'order:status_update', order_id: 265494, prev_status: 'confirmed', new_status: 'cancelled', updated_at: '2025-05-29 14:14:58' }),
);
const withoutPrevious = samples.find(({ event }) => event.data.previous_status === null)!.event;

function protobufOf(value: Buffer | string): Buffer {
  if (typeof value === 'string') throw new Error('a protobuf value is bytes');
  return value;
}

describe('encodeEnvelope', () => {
  it('writes JSON exactly as JSON.stringify does, as a string, with the CloudEvents JSON media type', () => {
    for (const { event } of samples) {
      expect(encodeEnvelope(event, 'json')).toEqual({ value: JSON.stringify(event), contentType: 'application/cloudevents+json; charset=utf-8' });
    }
  });

  it('writes protobuf as the binary StatusChangedEvent, labelled with its message name', () => {
    const { value, contentType } = encodeEnvelope(order, 'protobuf');
    expect(contentType).toBe('application/protobuf; proto=dropea.relay.v1.StatusChangedEvent');
    const message = fromBinary(StatusChangedEventSchema, protobufOf(value));
    expect(message).toMatchObject({
      specversion: '1.0',
      id: order.id,
      source: 'dropea',
      type: 'com.dropea.order.status_changed',
      subject: '265494',
      time: '2025-05-29T12:14:58Z',
      datacontenttype: 'application/json',
      partitionkey: '265494',
      data: {
        entity: 'order',
        entityId: 265494n,
        previousStatus: 'confirmed',
        status: 'cancelled',
        occurredAtLocal: '2025-05-29T14:14:58',
        utcOffset: '+02:00',
        receivedAt: '2026-11-22T10:00:00.123Z',
        sourcePayload: order.data.source_payload,
      },
    });
  });

  it('leaves previous_status unset in protobuf when it is null, rather than writing ""', () => {
    const data = fromBinary(StatusChangedEventSchema, protobufOf(encodeEnvelope(withoutPrevious, 'protobuf').value)).data!;
    expect(isFieldSet(data, StatusChangeSchema.field.previousStatus)).toBe(false);
  });

  it('knows exactly the two formats ENVELOPE_FORMAT accepts', () => {
    expect(ENVELOPE_FORMATS).toEqual(['json', 'protobuf']);
  });

  it('names the message of the generated schema', () => {
    expect(PROTOBUF_MESSAGE).toBe(StatusChangedEventSchema.typeName);
  });
});

describe('envelopeEncoder', () => {
  it("gives each format's encoder, writing what encodeEnvelope writes", async () => {
    expect(await envelopeEncoder('json')).toBe(encodeJson);
    for (const format of ENVELOPE_FORMATS) {
      const encode = await envelopeEncoder(format);
      for (const { event } of samples) expect(encode(event)).toEqual(encodeEnvelope(event, format));
    }
  });
});

describe('decodeEnvelope', () => {
  it.each(samples.map((sample) => [sample.name, sample.event] as const))('gives back the very envelope from either format: %s', (_name, event) => {
    for (const format of ENVELOPE_FORMATS) {
      const { value, contentType } = encodeEnvelope(event, format);
      const decoded = decodeEnvelope(Buffer.from(value), contentType);
      expect(decoded).toEqual(event);
      // Member order too: the decoded envelope serialises to the JSON format's bytes.
      expect(JSON.stringify(decoded)).toBe(JSON.stringify(event));
    }
  });

  it('keeps the largest id, 2^53-1, exact through protobuf', () => {
    const event = samples.find((sample) => sample.event.data.entity_id === Number.MAX_SAFE_INTEGER)!.event;
    const decoded = decodeEnvelope(protobufOf(encodeEnvelope(event, 'protobuf').value), PROTOBUF_CONTENT_TYPE);
    expect(decoded.data.entity_id).toBe(9007199254740991);
  });

  it('reads JSON when there is no content-type header', () => {
    expect(decodeEnvelope(Buffer.from(JSON.stringify(order)), undefined)).toEqual(order);
  });

  it('ignores members and fields it does not know, as protobuf readers do', () => {
    const json = Buffer.from(JSON.stringify({ ...order, traceparent: 'x', data: { ...order.data, region: 'es' } }));
    expect(decodeEnvelope(json, JSON_CONTENT_TYPE)).toEqual(order);

    const known = protobufOf(encodeEnvelope(order, 'protobuf').value);
    const unknownField = new BinaryWriter().tag(99, WireType.LengthDelimited).string('from a later version').finish();
    expect(decodeEnvelope(Buffer.concat([known, unknownField]), PROTOBUF_CONTENT_TYPE)).toEqual(order);
  });

  it.each([
    ['bytes that are not protobuf', Buffer.from([0xff, 0xff, 0xff, 0xff]), PROTOBUF_CONTENT_TYPE],
    ['a JSON envelope labelled protobuf', Buffer.from(JSON.stringify(order)), PROTOBUF_CONTENT_TYPE],
    ['text that is not JSON', Buffer.from('{"specversion":'), JSON_CONTENT_TYPE],
    ['a JSON array', Buffer.from('[]'), JSON_CONTENT_TYPE],
    ['a dead letter: the webhook body itself', Buffer.from(JSON.stringify(order.data.source_payload)), undefined],
    ['a protobuf envelope labelled JSON', protobufOf(encodeEnvelope(order, 'protobuf').value), JSON_CONTENT_TYPE],
    ['an entity_id that is not an integer', Buffer.from(JSON.stringify({ ...order, data: { ...order.data, entity_id: 'abc' } })), JSON_CONTENT_TYPE],
    ['an entity_id above 2^53-1', Buffer.from(JSON.stringify({ ...order, data: { ...order.data, entity_id: '9007199254740992' } })), JSON_CONTENT_TYPE],
    ['an entity_id of 0', Buffer.from(JSON.stringify({ ...order, data: { ...order.data, entity_id: 0 } })), JSON_CONTENT_TYPE],
    ['another specversion', Buffer.from(JSON.stringify({ ...order, specversion: '0.3' })), JSON_CONTENT_TYPE],
    ['an unknown event type', Buffer.from(JSON.stringify({ ...order, type: 'com.dropea.product.status_changed' })), JSON_CONTENT_TYPE],
    ['another datacontenttype', Buffer.from(JSON.stringify({ ...order, datacontenttype: 'text/plain' })), JSON_CONTENT_TYPE],
    ['an unknown entity kind', Buffer.from(JSON.stringify({ ...order, data: { ...order.data, entity: 'product' } })), JSON_CONTENT_TYPE],
    ['no data', Buffer.from(JSON.stringify({ ...order, data: null })), JSON_CONTENT_TYPE],
    ['no source_payload', Buffer.from(JSON.stringify({ ...order, data: { ...order.data, source_payload: null } })), JSON_CONTENT_TYPE],
    ['an empty id', Buffer.from(JSON.stringify({ ...order, id: '' })), JSON_CONTENT_TYPE],
    ['a missing status', Buffer.from(JSON.stringify({ ...order, data: { ...order.data, status: undefined } })), JSON_CONTENT_TYPE],
    ['an empty previous_status', Buffer.from(JSON.stringify({ ...order, data: { ...order.data, previous_status: '' } })), JSON_CONTENT_TYPE],
  ])('refuses %s', (_name, value, contentType) => {
    expect(() => decodeEnvelope(value, contentType)).toThrow(EnvelopeDecodeError);
  });

  it('refuses a protobuf message whose entity id a JSON number cannot hold exactly', () => {
    const message = fromBinary(StatusChangedEventSchema, protobufOf(encodeEnvelope(order, 'protobuf').value));
    message.data!.entityId = 2n ** 53n;
    expect(() => decodeEnvelope(Buffer.from(toBinary(StatusChangedEventSchema, message)), PROTOBUF_CONTENT_TYPE)).toThrow(/entity_id 9007199254740992/);
  });
});

describe('formatOf', () => {
  it.each([
    [undefined, 'json'],
    ['application/cloudevents+json; charset=utf-8', 'json'],
    ['application/cloudevents+json', 'json'],
    ['Application/CloudEvents+JSON ; Charset="UTF-8"', 'json'],
    ['application/protobuf; proto=dropea.relay.v1.StatusChangedEvent', 'protobuf'],
    ['application/protobuf;proto="dropea.relay.v1.StatusChangedEvent";encoding=binary', 'protobuf'],
    ['application/protobuf', 'protobuf'],
    ['application/x-protobuf; proto=dropea.relay.v1.StatusChangedEvent', 'protobuf'],
  ])('reads %s as %s', (contentType, format) => {
    expect(formatOf(contentType)).toBe(format);
  });

  it.each([
    'application/json',
    'application/cloudevents+protobuf',
    'application/cloudevents+json; charset=iso-8859-1',
    'application/protobuf; proto=io.cloudevents.v1.CloudEvent',
    'application/protobuf; encoding=json',
    '',
  ])('refuses %j', (contentType) => {
    expect(() => formatOf(contentType)).toThrow(EnvelopeDecodeError);
  });
});
