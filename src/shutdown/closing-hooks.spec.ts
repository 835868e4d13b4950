import { afterEach, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerClosingHooks } from './closing-hooks.js';
import { ShutdownGate } from './shutdown-gate.js';

describe('closing hooks', () => {
  let fastify: FastifyInstance;
  let gate: ShutdownGate;

  afterEach(async () => {
    await fastify.close();
  });

  /** A real server (Fastify's inject would skip the connection handling under test). */
  async function serve(): Promise<string> {
    gate = new ShutdownGate();
    fastify = Fastify();
    registerClosingHooks(fastify, gate);
    fastify.get('/work', async () => ({ done: true }));
    return fastify.listen({ port: 0, host: '127.0.0.1' });
  }

  it('serves as usual, on kept-alive connections, while the gate is open', async () => {
    const reply = await fetch(`${await serve()}/work`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('connection')).not.toBe('close');
    expect(await reply.json()).toEqual({ done: true });
  });

  it('turns requests away with 503 problem+json, Retry-After and Connection: close once the gate closes', async () => {
    const url = await serve();
    gate.beforeApplicationShutdown();
    const reply = await fetch(`${url}/work`);
    expect(reply.status).toBe(503);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(reply.headers.get('connection')).toBe('close');
    expect(await reply.json()).toEqual({
      type: 'urn:dropea-relay:problem:shutting-down',
      title: 'Shutting down',
      status: 503,
      detail: expect.any(String),
    });
  });
});
