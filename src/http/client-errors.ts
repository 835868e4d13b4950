import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, type ProblemType } from '../problem/problem-details.js';
import { problemOf } from '../problem/problem.exception.js';

/** Why Node's HTTP parser gave up on a connection before a request reached a route. */
export type ClientErrorReason = 'timeout' | 'headers_too_large' | 'malformed' | 'reset';

export function clientErrorReason(error: Error & { code?: string }): ClientErrorReason {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'timeout';
    case 'HPE_HEADER_OVERFLOW':
      return 'headers_too_large';
    case 'ECONNRESET':
      return 'reset';
    default:
      return 'malformed';
  }
}

const PROBLEMS: Record<Exclude<ClientErrorReason, 'reset'>, { type: ProblemType; detail: string }> = {
  timeout: { type: PROBLEM_TYPES.requestTimeout, detail: 'The request was not received in full within HTTP_REQUEST_TIMEOUT_MS' },
  headers_too_large: { type: PROBLEM_TYPES.headersTooLarge, detail: 'The request headers exceed the 16 KB the relay reads' },
  malformed: { type: PROBLEM_TYPES.malformedRequest, detail: 'The request is not valid HTTP/1.1' },
};

/**
 * Fastify's `clientErrorHandler`: the answer when Node's HTTP parser rejects a connection
 * (https://nodejs.org/api/http.html#event-clienterror), as problem+json like every other
 * answer, and the socket closed, because what follows on it cannot be trusted.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  const reason = clientErrorReason(error);
  if (reason === 'reset' || socket.destroyed) return;
  if (socket.writable) {
    const { type, detail } = PROBLEMS[reason];
    const body = JSON.stringify(problemOf(type, detail));
    socket.write(
      `HTTP/1.1 ${type.status} ${STATUS_CODES[type.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
