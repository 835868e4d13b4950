import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LogLevel as NestLogLevel } from '@nestjs/common';
import { AppModule } from './app.module.js';
import type { LogLevel } from './config/http.config.js';
import type { RelayConfig } from './config/relay-config.js';
import { ProblemDetailsFilter } from './problem/problem-details.filter.js';
import { registerClosingHooks } from './shutdown/closing-hooks.js';
import { ShutdownGate } from './shutdown/shutdown-gate.js';

/** `application/json` with any parameters (charset); nothing else is a webhook body. */
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/**
 * Builds the relay as both `main.ts` and the tests run it. The body is kept as raw bytes:
 * the signature is computed over exactly what was received, and nothing parses a body before
 * its signature is checked (JsonBodyPipe parses it after the guard).
 */
export async function createApp(config: RelayConfig): Promise<NestFastifyApplication> {
  // Requests that arrive while the relay closes are answered by closing-hooks.ts instead.
  const adapter = new FastifyAdapter({ bodyLimit: config.http.maxBodyBytes, return503OnClosing: false });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    logger: nestLogLevels(config.http.logLevel),
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  registerClosingHooks(fastify, app.get(ShutdownGate));
  app.useGlobalFilters(new ProblemDetailsFilter());
  return app;
}

function nestLogLevels(level: LogLevel): NestLogLevel[] {
  const order: NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
  const index = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 }[level];
  return order.slice(0, index + 1);
}
