import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fromBinary } from '@bufbuild/protobuf';
import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE } from '../src/envelope/envelope-format.js';
import { StatusChangedEventSchema } from '../src/envelope/gen/dropea/relay/v1/envelope_pb.js';
import { loadFixtures } from './support/fixtures.js';
import { post } from './support/http.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';

/**
 * The relay's records read by the CloudEvents SDK for JavaScript through its Kafka protocol
 * binding (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/kafka-protocol-binding.md),
 * as a consumer that knows nothing of the relay would read them: `Kafka.toEvent` with the
 * record's key, value and headers, as they are.
 */
const fixture = loadFixtures().find((candidate) => candidate.file === 'order-confirmed-to-cancelled.json')!;

/** A record as the SDK's Kafka binding takes it: headers as strings, the value as bytes. */
function sdkEvent(record: ReadRecord): CloudEvent<unknown> {
  const message: KafkaMessage<Buffer> = { key: record.key, value: record.raw, headers: record.headers, body: record.raw };
  const event = Kafka.toEvent(message);
  if (!(event instanceof CloudEvent)) throw new Error(`not one event: ${String(event)}`);
  return event as CloudEvent<unknown>;
}

/** The context attributes the assertions compare (CloudEvents 1.0 section 3), `partitionkey` the Kafka binding's extension. */
function attributes(event: CloudEvent<unknown>): Record<string, unknown> {
  const { specversion, id, source, type, subject, datacontenttype } = event;
  return { specversion, id, source, type, subject, datacontenttype, partitionkey: event['partitionkey'] };
}

describe('the CloudEvents SDK for JavaScript reads the relay records with its standard Kafka binding', () => {
  const jsonTopics = uniqueTopics('sdk-json');
  const protobufTopics = uniqueTopics('sdk-protobuf');
  let relays: RunningRelay[] = [];
  let reader: KafkaReader;
  let jsonRecord: ReadRecord;
  let protobufRecord: ReadRecord;

  beforeAll(async () => {
    relays = [await startRelay(jsonTopics), await startRelay({ ...protobufTopics, ENVELOPE_FORMAT: 'protobuf' })];
    reader = await KafkaReader.start([jsonTopics.KAFKA_TOPIC_ORDERS, protobufTopics.KAFKA_TOPIC_ORDERS]);
    for (const relay of relays) expect((await post(`${relay.url}${fixture.route}`, fixture.raw)).status).toBe(202);
    [jsonRecord] = (await reader.waitFor(jsonTopics.KAFKA_TOPIC_ORDERS, 1)) as [ReadRecord];
    [protobufRecord] = (await reader.waitFor(protobufTopics.KAFKA_TOPIC_ORDERS, 1)) as [ReadRecord];
  });

  afterAll(async () => {
    await reader?.stop();
    for (const relay of relays) await relay.close();
  });

  it('JSON: a structured-mode event (content-type application/cloudevents+json), every attribute and the data as the envelope has them', () => {
    const envelope = JSON.parse(jsonRecord.raw.toString('utf8')) as Record<string, unknown>;
    expect(jsonRecord.headers['content-type']).toBe(JSON_CONTENT_TYPE);

    const event = sdkEvent(jsonRecord);

    // An event format's media type: structured mode (section 3.3), the value is the whole event;
    // the ce_ headers beside it are allowed (section 3.3.3) and not read.
    expect({ ...attributes(event), data: event.data }).toEqual({
      specversion: '1.0',
      id: envelope['id'],
      source: 'dropea',
      type: 'com.dropea.order.status_changed',
      subject: String(fixture.entityId),
      datacontenttype: 'application/json',
      partitionkey: jsonRecord.key,
      data: envelope['data'],
    });
    // The SDK rewrites `time` through Date: the same instant, with milliseconds.
    expect(envelope['time']).toBe('2025-05-29T12:14:58Z');
    expect(event.time).toBe('2025-05-29T12:14:58.000Z');
    // Valid against the SDK's own schema of CloudEvents 1.0.
    expect(event.validate()).toBe(true);
  });

  it('protobuf: a binary-mode event whose attributes are the ce_ headers and whose data is the whole envelope, as the binding defines binary mode', () => {
    expect(protobufRecord.headers['content-type']).toBe(PROTOBUF_CONTENT_TYPE);
    const envelope = fromBinary(StatusChangedEventSchema, protobufRecord.raw);

    const before = Date.now();
    const event = sdkEvent(protobufRecord);
    const after = Date.now();

    // `application/protobuf` is not the media type of an event format (section 3.3.1), so the
    // binding reads the record in binary mode (section 3.2): content-type is datacontenttype,
    // the ce_ headers are the attributes and the value is the data. Binary mode maps every
    // attribute to a header (section 3.2.3); the relay writes the four required ones (id,
    // source, specversion, type), so the SDK returns a valid event, but without subject or time,
    // and with the whole envelope as its data.
    expect(attributes(event)).toEqual({
      specversion: '1.0',
      id: envelope.id,
      source: envelope.source,
      type: envelope.type,
      subject: undefined,
      datacontenttype: PROTOBUF_CONTENT_TYPE,
      partitionkey: protobufRecord.key,
    });
    // Without a ce_time header the SDK fills `time` with the moment it decoded the record, not
    // the instant of the status change, which only the envelope holds.
    expect(envelope.time).toBe('2025-05-29T12:14:58Z');
    expect(Date.parse(event.time!)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(event.time!)).toBeLessThanOrEqual(after);
    expect(Buffer.from(event.data as Uint8Array).equals(protobufRecord.raw)).toBe(true);
    expect(event.validate()).toBe(true);
  });
});
