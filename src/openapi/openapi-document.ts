import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { RELAY_VERSION } from '../version.js';

/** Where the relay serves its OpenAPI document: the UI at /docs, the JSON at /docs-json. */
export const OPENAPI_PATH = 'docs';

/**
 * The relay's HTTP contract as OpenAPI 3, built from the controllers' decorators. The copy in
 * docs/openapi.json is written by `npm run openapi` and kept equal to this by a test.
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

export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_PATH, app, () => buildOpenApiDocument(app));
}

/** The document as committed: two-space JSON with a final newline, so diffs stay readable. */
export function formatDocument(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
