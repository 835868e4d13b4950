import type { OpenAPIObject } from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The files of swagger-ui-dist that the page below loads; nothing else of the package is served. */
const UI_ASSETS: ReadonlySet<string> = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

/**
 * Where the relay serves its OpenAPI document: the JSON at /docs-json, YAML at /docs-yaml, and
 * Swagger UI (https://swagger.io/docs/open-source-tools/swagger-ui/usage/installation/, the
 * swagger-ui-dist package) at /docs.
 *
 * The document is built (openapi-document.ts) and written as JSON or YAML on the first request
 * for it, and kept: building it loads @nestjs/swagger, which the relay does not otherwise need
 * (12 MB of RSS, about a tenth of a relay at rest; docs/benchmarks.md, Memory). The UI's files
 * are sent by @fastify/send (conditional and range requests, ETag, Last-Modified), loaded on the
 * first request for one. The routes themselves are registered here at start, as Fastify requires.
 */
export function serveOpenApi(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const document = memoized(() => import('./openapi-document.js').then(({ buildOpenApiDocument }) => buildOpenApiDocument(app)));
  const json = memoized(async () => JSON.stringify(await document()));
  const yaml = memoized(async () => (await import('yaml')).stringify(await document()));
  // Relative links, so the page works behind a path prefix too: from /docs, the assets are in docs/.
  const page = swaggerUiPage('docs/', 'docs-json');
  const pageInFolder = swaggerUiPage('./', '../docs-json');

  fastify.get('/docs-json', async (_request, reply) => send(reply, 'application/json; charset=utf-8', await json()));
  fastify.get('/docs-yaml', async (_request, reply) => send(reply, 'text/yaml; charset=utf-8', await yaml()));
  fastify.get('/docs', (_request, reply) => send(reply, 'text/html; charset=utf-8', page));
  for (const path of ['/docs/', '/docs/index.html']) fastify.get(path, (_request, reply) => send(reply, 'text/html; charset=utf-8', pageInFolder));
  // swagger-ui-dist's own way to find its files (its main module would load Swagger UI's bundle).
  const assetFolder = (require('swagger-ui-dist/absolute-path.js') as () => string)();
  fastify.get<{ Params: { asset: string } }>('/docs/:asset', async (request, reply) => {
    if (!UI_ASSETS.has(request.params.asset)) return reply.callNotFound();
    const { default: sendFile } = await import('@fastify/send');
    const sent = await sendFile(request.raw, request.params.asset, { root: assetFolder, index: false });
    if (sent.type === 'error') return sent.statusCode === 404 ? reply.callNotFound() : reply.code(sent.statusCode).send(sent.metadata.error);
    return reply.code(sent.statusCode).headers(sent.headers).send(sent.stream);
  });
}

/**
 * `make()`'s promise, made on the first call and kept; a failed one (not expected: the document
 * is the same every time) is made again on the next call.
 */
function memoized<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () =>
    (made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
}

function send(reply: FastifyReply, contentType: string, body: string): FastifyReply {
  return reply.header('content-type', contentType).send(body);
}

/** Swagger UI's page, as its documentation writes it for swagger-ui-dist, reading the document from `documentUrl`. */
function swaggerUiPage(assets: string, documentUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dropea-relay API</title>
<link rel="stylesheet" href="${assets}swagger-ui.css">
<link rel="icon" type="image/png" href="${assets}favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="${assets}favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${assets}swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: ${JSON.stringify(documentUrl)}, dom_id: '#swagger-ui' });</script>
</body>
</html>
`;
}
