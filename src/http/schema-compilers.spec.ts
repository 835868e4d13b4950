import { afterEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { lazySchemaCompilers } from './schema-compilers.js';

describe('lazySchemaCompilers', () => {
  let app: FastifyInstance | undefined;
  afterEach(() => app?.close());

  it("still validates and serialises a route that declares schemas, with Fastify's own compilers", async () => {
    app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers() } });
    app.post(
      '/',
      {
        schema: {
          body: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
          response: { 200: { type: 'object', properties: { id: { type: 'integer' } } } },
        },
      },
      async (request) => ({ ...(request.body as object), secret: 'left out by the response schema' }),
    );
    // Over a socket rather than app.inject(): inject's light-my-request needs require(esm), which
    // Jest has only on Node 24.9 and later.
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const refused = await post({ id: 'one' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ message: 'body/id must be integer' });
    const answered = await post({ id: 1 });
    expect(answered.status).toBe(200);
    expect(await answered.text()).toBe('{"id":1}');
  });
});
