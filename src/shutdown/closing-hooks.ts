import type { FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES } from '../problem/problem-details.js';
import { problemOf } from '../problem/problem.exception.js';
import type { ShutdownGate } from './shutdown-gate.js';

/** Seconds a sender turned away during shutdown is asked to wait: another replica takes over. */
const RETRY_AFTER_SECONDS = 1;

const SHUTTING_DOWN = problemOf(PROBLEM_TYPES.shuttingDown, 'The relay is shutting down; retry, another instance will take the webhook');

/**
 * Once the gate closes, a request that arrives on a kept-alive connection is answered 503
 * problem+json with Retry-After (RFC 9110 §10.2.3) instead of being started, and every answer,
 * including those of requests still in flight, closes its connection, so the server's close
 * completes as soon as the last in-flight request is answered.
 *
 * Fastify's own `return503OnClosing` is turned off (configure-app.ts): its answer is not a
 * problem document and carries no Retry-After.
 */
export function registerClosingHooks(fastify: FastifyInstance, gate: ShutdownGate): void {
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!gate.closing) return done();
    void reply
      .code(SHUTTING_DOWN.status)
      .header('retry-after', String(RETRY_AFTER_SECONDS))
      .header('connection', 'close')
      .type(PROBLEM_CONTENT_TYPE)
      .send(SHUTTING_DOWN);
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (gate.closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
