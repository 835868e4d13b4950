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
    const refused = await app.inject({ method: 'POST', url: '/', payload: { id: 'one' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ message: 'body/id must be integer' });
    const answered = await app.inject({ method: 'POST', url: '/', payload: { id: 1 } });
    expect(answered.statusCode).toBe(200);
    expect(answered.body).toBe('{"id":1}');
  });
});
