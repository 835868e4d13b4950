import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The JSON Schema of the JSON envelope (docs/schemas), as downstream teams get it. */
export const ENVELOPE_SCHEMA_PATH = fileURLToPath(new URL('../../docs/schemas/status-changed-event.schema.json', import.meta.url));

export const ENVELOPE_SCHEMA = JSON.parse(readFileSync(ENVELOPE_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;

// strict mode: a keyword ajv does not know, or a schema that contradicts itself, is an error
// here rather than silently ignored. `format` is asserted, not only annotated
// (JSON Schema 2020-12 §7.2.1 leaves that to the validator).
const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: true });
// ajv-formats is CommonJS: under Node's ES modules its default import is `module.exports`,
// whose `default` is the plugin.
addFormats.default(ajv, ['uuid', 'date-time']);
const validate = ajv.compile(ENVELOPE_SCHEMA);

/** Why a value is not a JSON envelope, one line per violation; empty when it is one. */
export function envelopeSchemaErrors(value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map(describe);
}

function describe(error: ErrorObject): string {
  return `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`;
}
