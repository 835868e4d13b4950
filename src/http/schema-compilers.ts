import type { ValidatorFactory } from '@fastify/ajv-compiler';
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Fastify's own schema compilers (Ajv for validation, fast-json-stringify for serialisation),
 * loaded the first time a route declares a schema instead of when Fastify starts
 * (https://fastify.dev/docs/latest/Reference/Server/#schemacontroller). No route of the relay
 * does: its bodies are checked by the DTO pipes and its answers written by Nest. Loaded at start,
 * the two and their dependencies hold about 580 kB of source in every process for nothing.
 */
export function lazySchemaCompilers(): { buildValidator: ValidatorFactory; buildSerializer: SerializerFactory } {
  let validator: ValidatorFactory | undefined;
  let serializer: SerializerFactory | undefined;
  return {
    buildValidator: (externalSchemas, ajvOptions) => {
      validator ??= (require('@fastify/ajv-compiler') as () => ValidatorFactory)();
      return validator(externalSchemas, ajvOptions);
    },
    buildSerializer: (externalSchemas, serializerOptions) => {
      serializer ??= (require('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)();
      return serializer(externalSchemas, serializerOptions);
    },
  };
}
