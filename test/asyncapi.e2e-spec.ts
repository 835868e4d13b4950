import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RELAY_VERSION } from '../src/version.js';
import { Parser, type AsyncAPIDocumentInterface, type Diagnostic, type MessageInterface } from '@asyncapi/parser';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadRelayConfig } from '../src/config/relay-config.js';
import { DEAD_LETTER_HEADERS, deadLetterHeaders } from '../src/dead-letter/dead-letter.js';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE } from '../src/envelope/envelope-format.js';
import { EVENT_TYPE_BY_TOPIC } from '../src/envelope/envelope.js';
import { deadLetterRecord, toKafkaRecord } from '../src/publishing/kafka-record.js';
import { StatusUpdatePipe } from '../src/webhooks/status-update.pipe.js';
import { WEBHOOK_ROUTES } from '../src/webhooks/webhook-routes.js';
import { ENVELOPE_SCHEMA, envelopeSchemaErrors } from './support/envelope-schema.js';
import { envelopeOf } from './support/envelopes.js';
import { FIXTURE_DIR, loadFixtures } from './support/fixtures.js';
import { post } from './support/http.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';

/** The document downstream teams code against. */
const ASYNCAPI_PATH = fileURLToPath(new URL('../docs/asyncapi.yaml', import.meta.url));

/**
 * Diagnostics the document keeps on purpose, each with the reason. Any other diagnostic, of any
 * severity, fails the test: fix the document or add the reason here.
 */
const ACCEPTED_DIAGNOSTICS: Readonly<Record<string, string>> = {
  // Severity 2 (information).
  'asyncapi-latest-version':
    'AsyncAPI 3.0.0 on purpose: the 3.x version code generators and viewers read today; the parser only informs that 3.1.0 exists.',
};

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const tracestate = 'dropea=1';
const exampleTopics = { orders: 'o', incidences: 'i', deadLetter: 'd' };

/** The AsyncAPI Schema Object is a superset of JSON Schema draft-07: checked with Ajv's draft-07 validator. */
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv, ['uuid', 'date-time']);

function validator(schema: unknown): ValidateFunction {
  return ajv.compile(schema as object);
}

function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? error.keyword}`);
}

function message(document: AsyncAPIDocumentInterface, id: string): MessageInterface {
  const found = document.components().messages().get(id);
  if (found === undefined) throw new Error(`no message ${id} in components.messages`);
  return found;
}

function schemaJson(schema: { json(): unknown } | undefined, what: string): object {
  if (schema === undefined) throw new Error(`${what} has no schema`);
  return schema.json() as object;
}

/**
 * The envelope payload as AsyncAPI tooling reads it: the parser's dereferenced schema, under
 * AsyncAPI's default schema format (draft-07 based). The file itself declares 2020-12, which
 * Ajv's draft-07 validator does not load, so that declaration is left out here, and so is its
 * `$id` (nothing refers to it once dereferenced; Ajv would register it once only).
 */
function payloadAsParsed(msg: MessageInterface): ValidateFunction {
  const { $schema: _declared, $id: _id, ...schema } = schemaJson(msg.payload(), msg.id()) as Record<string, unknown>;
  return validator(schema);
}

/** The Kafka message binding's key schema, as the parser resolved it. */
function keySchema(msg: MessageInterface): object {
  const key = (msg.bindings().get('kafka')?.value() as { key?: object } | undefined)?.key;
  if (key === undefined) throw new Error(`message ${msg.id()} has no Kafka key schema`);
  return key;
}

describe('docs/asyncapi.yaml', () => {
  let document: AsyncAPIDocumentInterface;
  let diagnostics: Diagnostic[];

  beforeAll(async () => {
    // `source` makes relative $refs (./schemas/…) resolve against the document's own folder.
    const parsed = await new Parser().parse(readFileSync(ASYNCAPI_PATH, 'utf8'), { source: ASYNCAPI_PATH });
    diagnostics = parsed.diagnostics;
    if (parsed.document === undefined) {
      throw new Error(`@asyncapi/parser could not parse ${ASYNCAPI_PATH}:\n${diagnostics.map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`).join('\n')}`);
    }
    document = parsed.document;
  });

  it("gives the relay's one version, package.json's", () => {
    const version = RELAY_VERSION;
    expect(document.info().version()).toBe(version);
  });

  it('parses with @asyncapi/parser as AsyncAPI 3.0.0, with no diagnostic that is not accepted for a stated reason', () => {
    expect(document.version()).toBe('3.0.0');
    const unexplained = diagnostics
      .filter((diagnostic) => ACCEPTED_DIAGNOSTICS[String(diagnostic.code)] === undefined)
      .map((diagnostic) => `severity ${diagnostic.severity} ${diagnostic.code}: ${diagnostic.message} at ${diagnostic.path.join('.')}`);
    expect(unexplained).toEqual([]);
  });

  it("names the relay's default topics, and KAFKA_BROKERS' default as the local server", () => {
    const defaults = loadRelayConfig({}).kafka;
    const addresses = Object.fromEntries(document.channels().all().map((channel) => [channel.id(), channel.address()]));
    expect(addresses).toEqual({
      orderStatus: defaults.topics.orders,
      incidenceStatus: defaults.topics.incidences,
      deadLetters: defaults.topics.deadLetter,
    });
    expect(document.servers().get('local')?.host()).toBe(defaults.brokers[0]);
    const production = document.servers().get('production');
    expect(production?.protocol()).toBe('kafka-secure');
    expect(production?.security().flatMap((requirement) => requirement.all().map((scheme) => scheme.scheme().type()))).toEqual([
      'scramSha512',
      'scramSha256',
      'plain',
    ]);
  });

  it('describes the relay: it sends, once, on each channel, the message that channel carries', () => {
    const operations = document.operations().all().map((operation) => ({
      action: operation.action(),
      channels: operation.channels().all().map((channel) => channel.id()),
      messages: operation.messages().all().map((msg) => msg.id()),
    }));
    expect(operations).toEqual([
      { action: 'send', channels: ['orderStatus'], messages: ['orderStatusChanged'] },
      { action: 'send', channels: ['incidenceStatus'], messages: ['incidenceStatusChanged'] },
      { action: 'send', channels: ['deadLetters'], messages: ['deadLetter'] },
    ]);
  });

  it('takes the envelope payload from docs/schemas by reference, not from a copy', () => {
    for (const id of ['orderStatusChanged', 'incidenceStatusChanged']) {
      const payload = schemaJson(message(document, id).payload(), id) as Record<string, unknown>;
      expect(payload['$id']).toBe(ENVELOPE_SCHEMA['$id']);
      expect(payload['required']).toEqual(ENVELOPE_SCHEMA['required']);
    }
    const raw = readFileSync(ASYNCAPI_PATH, 'utf8');
    expect(raw).toContain("$ref: './schemas/status-changed-event.schema.json'");
  });

  it('reads the payload schema the same way as AsyncAPI tooling and as JSON Schema 2020-12: same verdicts', () => {
    const event = envelopeOf(readFileSync(`${FIXTURE_DIR}order-confirmed-to-cancelled.json`)) as unknown as Record<string, unknown>;
    const data = event['data'] as Record<string, unknown>;
    const variants: Record<string, unknown> = {
      valid: event,
      'an entity id as a string': { ...event, data: { ...data, entity_id: '265494' } },
      'a status with a space': { ...event, data: { ...data, status: 'in transit' } },
      'a member the schema does not know': { ...event, extra: true },
      'an incidence type on an order': { ...event, type: 'com.dropea.incidence.status_changed' },
      'a subject with a leading zero': { ...event, subject: '0265494' },
      'no data': { ...event, data: undefined },
    };
    for (const id of ['orderStatusChanged', 'incidenceStatusChanged']) {
      const asParsed = payloadAsParsed(message(document, id));
      for (const [name, value] of Object.entries(variants)) {
        const plain = JSON.parse(JSON.stringify(value)) as unknown;
        const verdicts = { name, asyncapi: errorsOf(asParsed, plain).length === 0, schemaFile: envelopeSchemaErrors(plain).length === 0 };
        expect(verdicts).toEqual({ name, asyncapi: name === 'valid', schemaFile: name === 'valid' });
      }
    }
  });

  it('lists exactly the headers the relay writes on an event, and requires those it always writes', () => {
    const event = envelopeOf(readFileSync(`${FIXTURE_DIR}order-confirmed-to-cancelled.json`));
    const always = Object.keys(toKafkaRecord(event, {}, exampleTopics).message.headers ?? {});
    const all = Object.keys(toKafkaRecord(event, { traceparent, tracestate }, exampleTopics).message.headers ?? {});
    for (const id of ['orderStatusChanged', 'incidenceStatusChanged']) {
      const headers = schemaJson(message(document, id).headers(), id) as { properties: Record<string, { enum?: string[] }>; required: string[] };
      expect(Object.keys(headers.properties).sort()).toEqual([...all].sort());
      expect([...headers.required].sort()).toEqual([...always].sort());
      expect(headers.properties['content-type']?.enum).toEqual([JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE]);
      expect(headers.properties['ce_type']?.enum).toEqual(Object.values(EVENT_TYPE_BY_TOPIC));
    }
  });

  it('lists exactly the headers the relay writes on a dead letter, and requires those it always writes', () => {
    const letter = {
      reason: 'validation_failed' as const,
      errors: [],
      body: Buffer.from('{}'),
      contentType: 'application/json',
      route: '/webhooks/dropea/orders',
      receivedAt: new Date(),
      signature: 'valid' as const,
      trace: {},
    };
    const always = Object.keys(deadLetterHeaders(letter));
    const headers = schemaJson(message(document, 'deadLetter').headers(), 'deadLetter') as {
      properties: Record<string, { enum?: string[] }>;
      required: string[];
    };
    expect(Object.keys(headers.properties).sort()).toEqual(Object.values(DEAD_LETTER_HEADERS).sort());
    expect([...headers.required].sort()).toEqual([...always].sort());
    expect(headers.properties['dlq_route']?.enum?.sort()).toEqual(Object.keys(WEBHOOK_ROUTES).sort());
  });

  it("gives as examples the envelopes and headers the relay builds from Dropea's documented payloads", () => {
    const fixtures = new Map(loadFixtures().map((fixture) => [fixture.file.replace(/\.json$/, ''), fixture]));
    const names: string[] = [];
    for (const id of ['orderStatusChanged', 'incidenceStatusChanged']) {
      const msg = message(document, id);
      const headersValid = validator(schemaJson(msg.headers(), id));
      const keyValid = validator(keySchema(msg));
      for (const example of msg.examples().all()) {
        const name = example.name() ?? '(unnamed)';
        names.push(name);
        const fixture = fixtures.get(name);
        if (fixture === undefined) throw new Error(`example ${name} of ${id} names no file in test/fixtures/dropea`);
        const event = envelopeOf(fixture.raw);
        const headers = example.headers() ?? {};
        const trace = { traceparent: headers['traceparent'] as string | undefined, tracestate: headers['tracestate'] as string | undefined };
        const record = toKafkaRecord(event, trace, exampleTopics);

        expect({ name, payload: example.payload() }).toEqual({ name, payload: event });
        expect({ name, headers }).toEqual({ name, headers: record.message.headers });
        expect({ name, payload: envelopeSchemaErrors(example.payload()) }).toEqual({ name, payload: [] });
        expect({ name, headers: errorsOf(headersValid, headers) }).toEqual({ name, headers: [] });
        expect({ name, key: errorsOf(keyValid, record.message.key) }).toEqual({ name, key: [] });
        expect(example.summary()).toContain(`Key "${String(record.message.key)}"`);
      }
    }
    expect(names.length).toBeGreaterThanOrEqual(4);
  });

  it('gives as its dead-letter example the record the relay writes for that body', () => {
    const msg = message(document, 'deadLetter');
    const examples = msg.examples().all();
    expect(examples.length).toBeGreaterThan(0);
    for (const example of examples) {
      const headers = example.headers() ?? {};
      // The relay keeps the body's exact bytes; the example's are those of its compact JSON.
      const body = Buffer.from(JSON.stringify(example.payload()));
      const route = headers[DEAD_LETTER_HEADERS.route] as keyof typeof WEBHOOK_ROUTES;
      const verdict = new StatusUpdatePipe(WEBHOOK_ROUTES[route]).transform(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
      if (verdict.valid) throw new Error(`dead-letter example ${example.name()} is a valid webhook`);
      const record = deadLetterRecord(
        {
          reason: verdict.reason,
          errors: verdict.errors,
          body,
          contentType: String(headers[DEAD_LETTER_HEADERS.contentType]),
          route,
          receivedAt: new Date(String(headers[DEAD_LETTER_HEADERS.receivedAt])),
          signature: 'valid',
          trace: {},
          ...(verdict.entityId !== undefined && { entityId: verdict.entityId }),
        },
        exampleTopics,
      );
      expect(headers).toEqual(record.message.headers);
      expect(errorsOf(validator(schemaJson(msg.headers(), 'deadLetter')), headers)).toEqual([]);
      expect(errorsOf(validator(schemaJson(msg.payload(), 'deadLetter')), example.payload())).toEqual([]);
      expect(errorsOf(validator(keySchema(msg)), record.message.key)).toEqual([]);
      expect(example.summary()).toContain(`Key "${String(record.message.key)}"`);
    }
  });

  describe('against what the relay publishes', () => {
    const topics = uniqueTopics('asyncapi');
    let relay: RunningRelay;
    let reader: KafkaReader;
    let events: ReadRecord[];
    let deadLetters: ReadRecord[];

    beforeAll(async () => {
      relay = await startRelay(topics);
      reader = await KafkaReader.start(Object.values(topics));
      const fixtures = loadFixtures();
      for (const [index, fixture] of fixtures.entries()) {
        // Every other request carries W3C trace context, so both header sets are seen.
        const headers = index % 2 === 0 ? { traceparent, tracestate } : undefined;
        const reply = await post(`${relay.url}${fixture.route}`, fixture.raw, { headers });
        expect([200, 202]).toContain(reply.status);
      }
      const invalid = await post(`${relay.url}/webhooks/dropea/orders`, JSON.stringify({ topic: 'order:status_update', order_id: 7, updated_at: 'soon' }));
      expect(invalid.status).toBe(422);
      const unknownTopic = await post(`${relay.url}/webhooks/dropea`, JSON.stringify({ topic: 'order:created', order_id: 8 }));
      expect(unknownTopic.status).toBe(202);

      // Dropea documents 7 payloads; two of them are one incidence event (solution_send and
      // resolution_send are one status), answered 200 duplicate the second time.
      const ids = new Set(fixtures.map((fixture) => envelopeOf(fixture.raw).id));
      const orders = await reader.waitFor(topics.KAFKA_TOPIC_ORDERS!, 3);
      const incidences = await reader.waitFor(topics.KAFKA_TOPIC_INCIDENCES!, ids.size - 3);
      events = [...orders, ...incidences];
      deadLetters = await reader.waitFor(topics.KAFKA_TOPIC_DLQ!, 2);
    });

    afterAll(async () => {
      await reader?.stop();
      await relay?.close();
    });

    it('every event record has a documented key, documented headers only, and a payload the schema accepts', () => {
      for (const [id, topic] of [
        ['orderStatusChanged', topics.KAFKA_TOPIC_ORDERS!],
        ['incidenceStatusChanged', topics.KAFKA_TOPIC_INCIDENCES!],
      ] as const) {
        const msg = message(document, id);
        const headersSchema = schemaJson(msg.headers(), id) as { properties: Record<string, unknown> };
        const headersValid = validator(headersSchema);
        const keyValid = validator(keySchema(msg));
        const payloadValid = payloadAsParsed(msg);
        const records = events.filter((record) => record.topic === topic);
        expect(records.length).toBeGreaterThan(0);
        for (const record of records) {
          const at = `${record.topic} ${record.partition}/${record.offset}`;
          expect({ at, key: errorsOf(keyValid, record.key) }).toEqual({ at, key: [] });
          expect({ at, headers: errorsOf(headersValid, record.headers) }).toEqual({ at, headers: [] });
          expect({ at, undocumented: Object.keys(record.headers).filter((name) => !(name in headersSchema.properties)) }).toEqual({ at, undocumented: [] });
          expect({ at, payload: envelopeSchemaErrors(record.value) }).toEqual({ at, payload: [] });
          expect({ at, payloadAsParsed: errorsOf(payloadValid, record.value) }).toEqual({ at, payloadAsParsed: [] });
          expect(record.headers['content-type']).toBe(msg.contentType());
        }
      }
      // The request's trace (with OpenTelemetry on, the relay's span within it) reaches the records.
      const traceId = traceparent.split('-')[1]!;
      expect(events.some((record) => record.headers['traceparent']?.split('-')[1] === traceId && record.headers['tracestate'] !== undefined)).toBe(true);
    });

    it('every dead letter has a documented key, documented headers only, and a payload the schema accepts', () => {
      const msg = message(document, 'deadLetter');
      const headersSchema = schemaJson(msg.headers(), 'deadLetter') as { properties: Record<string, unknown> };
      const headersValid = validator(headersSchema);
      const keyValid = validator(keySchema(msg));
      const payloadValid = validator(schemaJson(msg.payload(), 'deadLetter'));
      expect(deadLetters.map((record) => record.headers['dlq_reason']).sort()).toEqual(['unknown_topic', 'validation_failed']);
      for (const record of deadLetters) {
        const at = `${record.topic} ${record.partition}/${record.offset}`;
        expect({ at, key: errorsOf(keyValid, record.key) }).toEqual({ at, key: [] });
        expect({ at, headers: errorsOf(headersValid, record.headers) }).toEqual({ at, headers: [] });
        expect({ at, undocumented: Object.keys(record.headers).filter((name) => !(name in headersSchema.properties)) }).toEqual({ at, undocumented: [] });
        expect({ at, payload: errorsOf(payloadValid, record.value) }).toEqual({ at, payload: [] });
        expect(record.headers['content-type']).toBe(msg.contentType());
      }
    });
  });
});
