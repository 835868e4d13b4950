import { describe, expect, it } from '@jest/globals';
import { ScalarType, type DescMessage } from '@bufbuild/protobuf';
import { ENVELOPE_SCHEMA, envelopeSchemaErrors } from '../../test/support/envelope-schema.js';
import { sampleEnvelopes } from '../../test/support/envelopes.js';
import type { CloudEvent } from './envelope.js';
import { StatusChangedEventSchema } from './gen/dropea/relay/v1/envelope_pb.js';

/**
 * docs/schemas/status-changed-event.schema.json (JSON Schema 2020-12) describes the JSON format
 * of the message proto/dropea/relay/v1/envelope.proto defines. These tests keep the two in step
 * and check the schema against what the relay really writes.
 */

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object';

/** One field of the proto, as the JSON envelope writes it. */
interface JsonField {
  readonly name: string;
  /** The name proto3 JSON writers use: kept equal to `name` so they write the envelope's names. */
  readonly jsonName: string;
  readonly type: JsonType;
  /** proto3 `optional`: null in the JSON envelope when unset. */
  readonly nullable: boolean;
  /** A message of the envelope's own, described in the schema's `$defs` under its name. */
  readonly message?: DescMessage;
}

const WELL_KNOWN_JSON_OBJECTS = new Set(['google.protobuf.Struct']);

/**
 * The relay's JSON mapping of a field (the proto file's header comment): every integer type is a
 * JSON integer (not proto3 JSON's string for 64-bit ones), a Struct is an object, a message of
 * the envelope is an object described in `$defs`. A kind the envelope does not use yet has no
 * mapping here: adding one to the proto fails this test until the mapping is decided.
 */
function jsonFields(message: DescMessage): JsonField[] {
  return message.fields.map((field) => {
    const base = { name: field.name, jsonName: field.jsonName, nullable: field.proto.proto3Optional };
    if (field.fieldKind === 'message') {
      if (WELL_KNOWN_JSON_OBJECTS.has(field.message.typeName)) return { ...base, type: 'object' };
      return { ...base, type: 'object', message: field.message };
    }
    if (field.fieldKind !== 'scalar') throw new Error(`${message.typeName}.${field.name}: no JSON mapping for a ${field.fieldKind} field`);
    return { ...base, type: scalarJsonType(field.scalar, `${message.typeName}.${field.name}`) };
  });
}

function scalarJsonType(scalar: ScalarType, where: string): JsonType {
  switch (scalar) {
    case ScalarType.STRING:
      return 'string';
    case ScalarType.BOOL:
      return 'boolean';
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 'number';
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return 'integer';
    default:
      throw new Error(`${where}: no JSON mapping for scalar type ${ScalarType[scalar]}`);
  }
}

type SchemaNode = Record<string, unknown>;

/** Every difference between a message's fields and the schema of its JSON object, both ways. */
function mismatches(root: SchemaNode, node: SchemaNode, fields: readonly JsonField[], at: string, fieldsOf = jsonFields): string[] {
  const found: string[] = [];
  const properties = (node['properties'] ?? {}) as Record<string, SchemaNode>;
  const names = fields.map((field) => field.name);
  if (node['type'] !== 'object') found.push(`${at}: type is not "object"`);
  if (node['additionalProperties'] !== false) found.push(`${at}: additionalProperties is not false`);
  for (const name of Object.keys(properties)) if (!names.includes(name)) found.push(`${at}.${name}: in the schema, not in the proto`);
  const required = new Set((node['required'] ?? []) as string[]);
  for (const name of required) if (!names.includes(name)) found.push(`${at}.${name}: required by the schema, not in the proto`);

  for (const field of fields) {
    const where = `${at}.${field.name}`;
    // Every member is always written (an unset optional one as null), so every one is required.
    if (!required.has(field.name)) found.push(`${where}: not required by the schema`);
    if (field.jsonName !== field.name) found.push(`${where}: json_name "${field.jsonName}" differs from the field name`);
    const property = properties[field.name];
    if (property === undefined) {
      found.push(`${where}: in the proto, not in the schema`);
      continue;
    }
    const expectedType = field.nullable ? [field.type, 'null'] : field.type;
    if (JSON.stringify(property['type']) !== JSON.stringify(expectedType)) {
      found.push(`${where}: schema type ${JSON.stringify(property['type'])}, proto says ${JSON.stringify(expectedType)}`);
    }
    if (field.message !== undefined) {
      const ref = `#/$defs/${field.message.name}`;
      if (property['$ref'] !== ref) found.push(`${where}: $ref is not ${ref}`);
      const definition = ((root['$defs'] ?? {}) as Record<string, SchemaNode>)[field.message.name];
      if (definition === undefined) found.push(`${where}: no $defs/${field.message.name}`);
      else found.push(...mismatches(root, definition, fieldsOf(field.message), field.message.typeName, fieldsOf));
    }
  }
  return found;
}

const schemaCopy = (): SchemaNode => structuredClone(ENVELOPE_SCHEMA);
const defsOf = (schema: SchemaNode) => schema['$defs'] as Record<string, SchemaNode & { properties: Record<string, SchemaNode>; required: string[] }>;
const propertiesOf = (schema: SchemaNode) => schema['properties'] as Record<string, SchemaNode>;
const rootFields = jsonFields(StatusChangedEventSchema);
const ROOT = StatusChangedEventSchema.typeName;

describe('the JSON Schema and the proto', () => {
  it('describe the same fields, with the same names, JSON types, nullability and required set', () => {
    expect(mismatches(ENVELOPE_SCHEMA, ENVELOPE_SCHEMA, rootFields, ROOT)).toEqual([]);
    // Not vacuous: the walk reached both messages and all their fields.
    expect(rootFields.map((field) => field.name)).toEqual(Object.keys(propertiesOf(ENVELOPE_SCHEMA)));
    expect(jsonFields(rootFields.find((field) => field.name === 'data')!.message!).map((field) => [field.name, field.type, field.nullable])).toEqual([
      ['entity', 'string', false],
      ['entity_id', 'integer', false],
      ['previous_status', 'string', true],
      ['status', 'string', false],
      ['occurred_at_local', 'string', false],
      ['utc_offset', 'string', false],
      ['received_at', 'string', false],
      ['source_payload', 'object', false],
    ]);
  });

  it('fail the check when a field is added to, dropped from or retyped in the schema', () => {
    const added = schemaCopy();
    defsOf(added)['StatusChange']!.properties['region'] = { type: 'string' };
    expect(mismatches(added, added, rootFields, ROOT)).toEqual(['dropea.relay.v1.StatusChange.region: in the schema, not in the proto']);

    const dropped = schemaCopy();
    delete propertiesOf(dropped)['partitionkey'];
    expect(mismatches(dropped, dropped, rootFields, ROOT)).toEqual([`${ROOT}.partitionkey: in the proto, not in the schema`]);

    const retyped = schemaCopy();
    defsOf(retyped)['StatusChange']!.properties['entity_id']!['type'] = 'string';
    defsOf(retyped)['StatusChange']!.properties['previous_status']!['type'] = 'string';
    expect(mismatches(retyped, retyped, rootFields, ROOT)).toEqual([
      'dropea.relay.v1.StatusChange.entity_id: schema type "string", proto says "integer"',
      'dropea.relay.v1.StatusChange.previous_status: schema type "string", proto says ["string","null"]',
    ]);

    const optionalInSchema = schemaCopy();
    defsOf(optionalInSchema)['StatusChange']!.required = defsOf(optionalInSchema)['StatusChange']!.required.filter((name) => name !== 'status');
    expect(mismatches(optionalInSchema, optionalInSchema, rootFields, ROOT)).toEqual(['dropea.relay.v1.StatusChange.status: not required by the schema']);

    const opened = schemaCopy();
    delete defsOf(opened)['StatusChange']!['additionalProperties'];
    expect(mismatches(opened, opened, rootFields, ROOT)).toEqual(['dropea.relay.v1.StatusChange: additionalProperties is not false']);
  });

  it('fail the check when a field is added to the proto but not to the schema', () => {
    const withRegion = (message: DescMessage): JsonField[] => {
      const fields = jsonFields(message);
      return message.name === 'StatusChange' ? [...fields, { name: 'region', jsonName: 'region', type: 'string', nullable: true }] : fields;
    };
    expect(mismatches(ENVELOPE_SCHEMA, ENVELOPE_SCHEMA, withRegion(StatusChangedEventSchema), ROOT, withRegion)).toEqual([
      'dropea.relay.v1.StatusChange.region: not required by the schema',
      'dropea.relay.v1.StatusChange.region: in the proto, not in the schema',
    ]);
  });
});

describe('the JSON Schema', () => {
  const samples = sampleEnvelopes();

  it.each(samples.map((sample) => [sample.name, sample.event] as const))('accepts the envelope the relay builds for %s', (_name, event) => {
    // As a consumer reads it: the record value parsed.
    expect(envelopeSchemaErrors(JSON.parse(JSON.stringify(event)))).toEqual([]);
  });

  it('is reached by the samples in every corner that matters', () => {
    const data = samples.map(({ event }) => event.data);
    expect(data.some((d) => d.previous_status === null)).toBe(true);
    expect(data.some((d) => d.entity_id === Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(new Set(data.map((d) => d.utc_offset))).toEqual(new Set(['+01:00', '+02:00', '-03:30', '+00:00', '-00:14:44']));
    expect(samples.some(({ event }) => /\.\d{9}Z$/.test(event.time))).toBe(true);
  });

  // An order and an incidence, so both branches of the schema's type/entity rule are exercised.
  const bases = (['order', 'incidence'] as const).map((entity) => samples.find(({ event }) => event.data.entity === entity)!.event);
  type Mutable = CloudEvent & Record<string, unknown>;
  const violations: [string, (event: Mutable) => void][] = [
    ['a missing id', (e) => delete (e as Partial<CloudEvent>).id],
    ['a member the envelope does not have', (e) => (e['traceparent'] = '00-…')],
    ['a member data does not have', (e) => ((e.data as unknown as Record<string, unknown>)['region'] = 'es')],
    ['specversion 1.1', (e) => ((e as { specversion: string }).specversion = '1.1')],
    ['an id that is not a UUID v5', (e) => (e.id = '8b614812-a0f8-43b5-8857-7581c1e4365b')],
    ['an upper-case id', (e) => (e.id = e.id.toUpperCase())],
    ['an empty source', (e) => (e.source = '')],
    ['an unknown type', (e) => ((e as { type: string }).type = 'com.dropea.product.status_changed')],
    ['an order type on an incidence', (e) => (e.data.entity = e.data.entity === 'order' ? 'incidence' : 'order')],
    ['a subject with a leading zero', (e) => (e.subject = `0${e.subject}`)],
    ['a partitionkey that is a number', (e) => ((e as unknown as Record<string, unknown>)['partitionkey'] = 265494)],
    ['a time with an offset', (e) => (e.time = '2025-05-29T14:14:58+02:00')],
    ['a time that is not a date', (e) => (e.time = '2025-02-30T12:00:00Z')],
    ['another datacontenttype', (e) => ((e as { datacontenttype: string }).datacontenttype = 'application/protobuf')],
    ['an entity_id as a string', (e) => ((e.data as unknown as Record<string, unknown>)['entity_id'] = '265494')],
    ['an entity_id of 0', (e) => (e.data.entity_id = 0)],
    ['an entity_id of 2^53', (e) => (e.data.entity_id = 2 ** 53)],
    ['a fractional entity_id', (e) => (e.data.entity_id = 1.5)],
    ['an empty previous_status', (e) => (e.data.previous_status = '')],
    ['a status with a space', (e) => (e.data.status = 'in transit')],
    ['a missing previous_status (null is written instead)', (e) => delete (e.data as Partial<CloudEvent['data']>).previous_status],
    ['occurred_at_local with an offset', (e) => (e.data.occurred_at_local = '2025-05-29T14:14:58+02:00')],
    ['a utc_offset without its colon', (e) => (e.data.utc_offset = '+0200')],
    ['received_at without milliseconds', (e) => (e.data.received_at = '2026-11-22T10:00:00Z')],
    ['a source_payload that is not an object', (e) => ((e.data as unknown as Record<string, unknown>)['source_payload'] = '{}')],
    ['a source_payload without its topic', (e) => delete e.data.source_payload['topic']],
    [
      'a source_payload of the other webhook',
      (e) => (e.data.source_payload['topic'] = e.data.entity === 'order' ? 'incidence:status_update' : 'order:status_update'),
    ],
  ];

  it.each(violations)('rejects an envelope with %s', (_name, spoil) => {
    for (const base of bases) {
      const event = structuredClone(base) as Mutable;
      expect(envelopeSchemaErrors(event)).toEqual([]);
      spoil(event);
      expect({ entity: base.data.entity, rejected: envelopeSchemaErrors(event).length > 0 }).toEqual({ entity: base.data.entity, rejected: true });
    }
  });

  it('leaves source_payload open: fields Dropea may add are accepted', () => {
    const event = structuredClone(bases[0]!);
    event.data.source_payload['shop'] = { id: 7, tags: ['x'] };
    expect(envelopeSchemaErrors(event)).toEqual([]);
  });
});
