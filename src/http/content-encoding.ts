import type { FastifyInstance } from 'fastify';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';

/**
 * Refuses compressed bodies (RFC 9110 §8.4) before a byte of them is read. Dropea sends plain
 * JSON, the signature covers the bytes as sent, and inflating a body is how a few kilobytes
 * become gigabytes (a decompression bomb), so nothing is inflated. RFC 9110 §15.5.16 answers
 * an unsupported coding with 415 and Accept-Encoding (§12.5.3) saying what is accepted.
 */
export function registerContentEncodingCheck(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const coding = request.headers['content-encoding'];
    if (coding === undefined || isIdentity(coding)) return done();
    done(
      ProblemException.of(PROBLEM_TYPES.unsupportedContentEncoding, 'Bodies must not be compressed: send them with no Content-Encoding', {
        headers: { 'accept-encoding': 'identity' },
      }),
    );
  });
}

/** `identity` (or nothing) in every listed coding; codings are case-insensitive tokens. */
function isIdentity(header: string): boolean {
  return header.split(',').every((coding) => ['', 'identity'].includes(coding.trim().toLowerCase()));
}
