import fastifyStatic from '@fastify/static';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The files of swagger-ui-dist that the page below loads; nothing else of the package is served. */
const UI_ASSETS: ReadonlySet<string> = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js', '/favicon-32x32.png', '/favicon-16x16.png']);

/**
 * Where the relay serves its OpenAPI document: the JSON at /docs-json, YAML at /docs-yaml, and
 * Swagger UI (https://swagger.io/docs/open-source-tools/swagger-ui/usage/installation/, the
 * swagger-ui-dist package) at /docs.
 *
 * The document is built on the first request for it (openapi-document.ts) and kept: building
 * it loads @nestjs/swagger, which the relay does not otherwise need (12 MB of RSS, about a tenth
 * of a relay at rest; docs/benchmarks.md, Memory). The routes themselves are registered here at
 * start, as Fastify requires.
 */
export function serveOpenApi(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  let document: Promise<OpenAPIObject> | undefined;
  const built = (): Promise<OpenAPIObject> => {
    document ??= import('./openapi-document.js').then(({ buildOpenApiDocument }) => buildOpenApiDocument(app));
    // A failed build (not expected: the document is the same every time) is tried again next time.
    document.catch(() => (document = undefined));
    return document;
  };

  fastify.get('/docs-json', async (_request, reply) => send(reply, 'application/json; charset=utf-8', JSON.stringify(await built())));
  fastify.get('/docs-yaml', async (_request, reply) => {
    const [{ stringify }, json] = await Promise.all([import('yaml'), built()]);
    return send(reply, 'text/yaml; charset=utf-8', stringify(json));
  });
  // Relative links, so the page works behind a path prefix too: from /docs, the assets are in docs/.
  fastify.get('/docs', (_request, reply) => send(reply, 'text/html; charset=utf-8', swaggerUiPage('docs/', 'docs-json')));
  for (const page of ['/docs/', '/docs/index.html']) {
    fastify.get(page, (_request, reply) => send(reply, 'text/html; charset=utf-8', swaggerUiPage('./', '../docs-json')));
  }
  void fastify.register(fastifyStatic, {
    root: (require('swagger-ui-dist/absolute-path.js') as () => string)(),
    prefix: '/docs/',
    decorateReply: false,
    index: false,
    allowedPath: (pathName) => UI_ASSETS.has(pathName),
  });
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
