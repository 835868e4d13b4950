import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RELAY_VERSION } from '../src/version.js';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatDocument } from '../src/openapi/openapi-document.js';
import { loadFixtures } from './support/fixtures.js';
import { sign } from './support/http.js';
import { rawExchange } from './support/raw-http.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';

const COMMITTED = new URL('../docs/openapi.json', import.meta.url);
const KEY = 'openapi-e2e-key';
const fixtures = loadFixtures();

interface OpenApiDocument {
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
}

describe('the OpenAPI document', () => {
  let relay: RunningRelay;
  let served: OpenApiDocument;
  let validators: Ajv;

  beforeAll(async () => {
    relay = await startRelay({ ...uniqueTopics('openapi'), DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY });
    served = (await (await fetch(`${relay.url}/docs-json`)).json()) as OpenApiDocument;
    // OpenAPI 3.0 schemas are JSON Schema with a few keywords of their own (nullable, example).
    validators = new Ajv({ strict: false, allErrors: true });
    // ajv-formats is CommonJS: its default import is `module.exports`, the function is `.default`.
    addFormats.default(validators, ['uuid']);
    validators.addSchema({ components: served.components }, 'openapi');
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('is served at /docs-json and equals the committed docs/openapi.json (run `npm run openapi` after changing it)', () => {
    expect(formatDocument(served)).toBe(readFileSync(COMMITTED, 'utf8'));
  });

  it("gives the relay's one version, package.json's", () => {
    const version = RELAY_VERSION;
    expect(served.info.version).toBe(version);
  });

  it('is served as YAML at /docs-yaml, the same document', async () => {
    const response = await fetch(`${relay.url}/docs-yaml`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/yaml/);
    expect(parseYaml(await response.text())).toEqual(served);
  });

  it.each(['/docs', '/docs/', '/docs/index.html'])('is browsable at %s: a Swagger UI page whose assets and document load from it', async (page) => {
    const response = await fetch(`${relay.url}${page}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    const links = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => new URL(match[1]!, `${relay.url}${page}`));
    expect(links.map((link) => link.pathname).sort()).toEqual([
      '/docs/favicon-16x16.png',
      '/docs/favicon-32x32.png',
      '/docs/swagger-ui-bundle.js',
      '/docs/swagger-ui.css',
    ]);
    for (const link of links) expect({ link: link.pathname, status: (await fetch(link)).status }).toEqual({ link: link.pathname, status: 200 });
    const documentUrl = /url: "([^"]+)"/.exec(html)?.[1];
    expect(new URL(documentUrl!, `${relay.url}${page}`).pathname).toBe('/docs-json');
  });

  it('serves the UI files with their media type, validators and conditional answers', async () => {
    const first = await fetch(`${relay.url}/docs/swagger-ui.css`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/css/);
    expect(first.headers.get('last-modified')).not.toBeNull();
    const etag = first.headers.get('etag');
    expect(etag).not.toBeNull();
    expect((await first.arrayBuffer()).byteLength).toBe(Number(first.headers.get('content-length')));
    // By hand: fetch makes a request with a validator unconditional (Cache-Control: no-cache).
    const conditional = await rawExchange(relay.url, [`GET /docs/swagger-ui.css HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: ${etag!}\r\nConnection: close\r\n\r\n`]);
    expect(conditional.status).toBe(304);
    const part = await fetch(`${relay.url}/docs/favicon-16x16.png`, { headers: { range: 'bytes=0-3' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-type')).toBe('image/png');
    expect([...new Uint8Array(await part.arrayBuffer())]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it("serves none of swagger-ui-dist's other files (its sample page points at another API)", async () => {
    for (const path of ['/docs/swagger-initializer.js', '/docs/package.json', '/docs/../package.json']) {
      expect({ path, status: (await fetch(`${relay.url}${path}`)).status }).toEqual({ path, status: 404 });
    }
  });

  it('documents every webhook and probe route, and not itself', () => {
    expect(Object.keys(served.paths).sort()).toEqual([
      '/health/live',
      '/health/ready',
      '/metrics',
      '/webhooks/dropea',
      '/webhooks/dropea/incidences',
      '/webhooks/dropea/orders',
    ]);
  });

  /** Checks a real answer against what the document says the route answers with that status. */
  function expectDocumented(route: string, response: { status: number; contentType: string | null; body: unknown }): void {
    const documented = served.paths[route]?.['post']?.responses[String(response.status)];
    expect(documented).toBeDefined();
    const mediaType = response.contentType?.split(';')[0]?.trim() ?? '';
    const schema = documented!.content?.[mediaType]?.schema;
    expect(schema).toBeDefined();
    const validate: ValidateFunction = validators.compile(withRefsInto(schema!));
    expect({ status: response.status, valid: validate(response.body), errors: validate.errors ?? [] }).toEqual({
      status: response.status,
      valid: true,
      errors: [],
    });
  }

  it("describes the relay's real answers: each status it gives is documented, with a schema the body matches", async () => {
    const order = fixtures.find((fixture) => fixture.route === '/webhooks/dropea/orders')!;
    const send = async (route: string, body: string | Buffer, headers: Record<string, string> = { 'X-Dropea-Hmac-Sha256': sign(body, KEY) }, contentType?: string) => {
      const response = await fetch(`${relay.url}${route}`, {
        method: 'POST',
        body,
        headers: { 'content-type': contentType ?? 'application/json', ...headers },
      });
      const text = await response.text();
      return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(text) as unknown };
    };
    const unknownTopic = JSON.stringify({ topic: 'product:update', product_id: 1 });
    const invalid = JSON.stringify({ ...order.json, order_id: 'x' });
    const answers: [string, Awaited<ReturnType<typeof send>>][] = [
      ['/webhooks/dropea/orders', await send('/webhooks/dropea/orders', order.raw)],
      ['/webhooks/dropea/orders', await send('/webhooks/dropea/orders', order.raw)],
      ['/webhooks/dropea', await send('/webhooks/dropea', unknownTopic)],
      ['/webhooks/dropea/orders', await send('/webhooks/dropea/orders', order.raw, {})],
      ['/webhooks/dropea/orders', await send('/webhooks/dropea/orders', invalid)],
      ['/webhooks/dropea/orders', await send('/webhooks/dropea/orders', '[1]')],
      ['/webhooks/dropea/orders', await send('/webhooks/dropea/orders', 'x', {}, 'text/plain')],
    ];
    expect(answers.map(([, answer]) => answer.status)).toEqual([202, 200, 202, 401, 422, 400, 415]);
    for (const [route, answer] of answers) expectDocumented(route, answer);
    // The body of a real webhook matches the request schema.
    const bodySchema = (served.paths['/webhooks/dropea/orders']!['post'] as unknown as { requestBody: { content: Record<string, { schema: object }> } })
      .requestBody.content['application/json']!.schema;
    const validateBody = validators.compile(withRefsInto(bodySchema));
    for (const fixture of fixtures.filter((candidate) => candidate.route === '/webhooks/dropea/orders')) {
      expect(validateBody(fixture.json)).toBe(true);
    }
  });
});

/** Points the document's local `$ref`s at the registered copy of its components. */
function withRefsInto(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object;
}
