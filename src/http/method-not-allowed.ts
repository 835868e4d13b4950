import type { FastifyInstance } from 'fastify';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';

/** Every method a route could be asked for; HEAD is answered wherever GET is. */
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY'] as const;
type Method = (typeof METHODS)[number];

/**
 * A path that exists answers any other method with 405 and the methods it takes in Allow
 * (RFC 9110 §15.5.6), not with the 404 a router gives a method it has no route for.
 */
export function registerMethodNotAllowed(fastify: FastifyInstance, allowedByPath: Readonly<Record<string, readonly Method[]>>): void {
  for (const [url, allowed] of Object.entries(allowedByPath)) {
    const allow = (allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed).join(', ');
    const refuse = (method: string): ProblemException =>
      ProblemException.of(PROBLEM_TYPES.methodNotAllowed, `${method} is not allowed here; use ${allow}`, { headers: { allow } });
    fastify.route({
      method: METHODS.filter((method) => !allowed.includes(method)),
      url,
      // Refused on arrival, before Fastify reads or checks a body the method may carry (a QUERY
      // without Content-Type would otherwise be a 400 first, RFC 10008 §2).
      onRequest: (request, _reply, done) => done(refuse(request.method)),
      handler: async (request) => {
        throw refuse(request.method);
      },
    });
  }
}
