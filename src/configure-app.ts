import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import type { RelayConfig } from './config/relay-config.js';
import { clientErrorReason } from './http/client-errors.js';
import { registerContentEncodingCheck } from './http/content-encoding.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { registerRateLimit } from './http/rate-limit.js';
import { serverOptions } from './http/server-options.js';
import { createRelayLogger } from './logging/relay-logger.js';
import { MANAGEMENT_ROUTES } from './management/management-routes.js';
import { RelayMetrics } from './metrics/relay-metrics.js';
import { serveOpenApi } from './openapi/openapi-routes.js';
import { ProblemDetailsFilter } from './problem/problem-details.filter.js';
import { registerClosingHooks } from './shutdown/closing-hooks.js';
import { ShutdownGate } from './shutdown/shutdown-gate.js';
import { WEBHOOK_ROUTES } from './webhooks/webhook-routes.js';
import { registerWebhookTelemetry } from './webhooks/webhook-telemetry.js';

/** `application/json` with any parameters (charset); nothing else is a webhook body. */
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Builds the relay as both `main.ts` and the tests run it. The body is kept as raw bytes:
 * the signature is computed over exactly what was received, and nothing parses a body before
 * its signature is checked (JsonBodyPipe parses it after the guard).
 */
export async function createApp(config: RelayConfig): Promise<NestFastifyApplication> {
  // No Express-style middleware runs in the relay (nestjs-pino's is not mounted, see
  // logging.module.ts), so @fastify/middie and its per-request hook are left out.
  const adapter = new FastifyAdapter({ ...serverOptions(config.http), skipMiddie: true });
  const logger = createRelayLogger(config.http.logLevel);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const metrics = app.get(RelayMetrics);
  // Beside Fastify's clientErrorHandler (http/client-errors.ts), which answers them.
  app.getHttpServer().on('clientError', (error: Error) => metrics.httpClientErrors.inc({ reason: clientErrorReason(error) }));
  // First, so that the requests the closing hooks turn away are counted and logged too.
  registerWebhookTelemetry(fastify, metrics, logger);
  registerClosingHooks(fastify, app.get(ShutdownGate));
  registerContentEncodingCheck(fastify);
  await registerRateLimit(app, config.http.rateLimit);
  registerMethodNotAllowed(fastify, {
    ...Object.fromEntries(Object.keys(WEBHOOK_ROUTES).map((route) => [route, ['POST'] as const])),
    // With MANAGEMENT_PORT these paths do not exist here: 404, as for any other.
    ...(config.management === undefined ? Object.fromEntries(MANAGEMENT_ROUTES.map((route) => [route, ['GET'] as const])) : {}),
  });
  app.useGlobalFilters(new ProblemDetailsFilter());
  serveOpenApi(app);
  return app;
}
