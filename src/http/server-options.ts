import type { FastifyHttpOptions } from 'fastify';
import type { Server } from 'node:http';
import type { HttpConfig } from '../config/http.config.js';
import { answerClientError } from './client-errors.js';
import { lazySchemaCompilers } from './schema-compilers.js';

/** The most often Node checks its request and header timers; its default, 30 s, would let a 10 s timeout run to 40. */
const MAX_TIMER_CHECK_INTERVAL_MS = 1_000;

/**
 * Fastify's server options: the body limit and the limits that keep slow or idle clients from
 * holding connections (https://fastify.dev/docs/latest/Reference/Server/):
 * - requestTimeout (and Node's headersTimeout): the whole request, headers and body, must
 *   arrive within HTTP_REQUEST_TIMEOUT_MS, else 408 (a slowloris drip never completes one);
 * - connectionTimeout: a socket with no traffic for HTTP_CONNECTION_TIMEOUT_MS is closed,
 *   including one that connects and never sends a byte;
 * - keepAliveTimeout: an idle kept-alive connection is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS
 *   (plus the 1 s Node adds, so a client that reuses it just in time never finds it closing).
 */
export function serverOptions(http: HttpConfig): FastifyHttpOptions<Server> {
  const { requestMs, connectionMs, keepAliveMs } = http.timeouts;
  return {
    bodyLimit: http.maxBodyBytes,
    // Requests that arrive while the relay closes are answered by shutdown/closing-hooks.ts.
    return503OnClosing: false,
    requestTimeout: requestMs,
    connectionTimeout: connectionMs,
    keepAliveTimeout: keepAliveMs,
    http: { headersTimeout: requestMs, requestTimeout: requestMs, connectionsCheckingInterval: Math.min(MAX_TIMER_CHECK_INTERVAL_MS, requestMs) },
    trustProxy: http.trustProxy,
    clientErrorHandler: answerClientError,
    schemaController: { compilersFactory: lazySchemaCompilers() },
  };
}
