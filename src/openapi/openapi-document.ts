import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { RELAY_VERSION } from '../version.js';
// Describes the DTOs and controllers for the document, once, when this module is first loaded.
import './api-docs.js';

/**
 * The relay's HTTP contract as OpenAPI 3, built from the controllers and the descriptions of
 * api-docs.ts. The relay serves it (openapi-routes.ts); the copy in docs/openapi.json is written
 * by `npm run openapi` and kept equal to it by a test.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('dropea-relay')
    .setDescription(
      'Receives Dropea order and incidence webhooks, verifies and validates them, and publishes each as a CloudEvents 1.0 ' +
        'envelope to Kafka, keyed by entity id. Every error is RFC 9457 problem+json. See docs/contract.md.',
    )
    .setVersion(RELAY_VERSION)
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** The document as committed: two-space JSON with a final newline, so diffs stay readable. */
export function formatDocument(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
