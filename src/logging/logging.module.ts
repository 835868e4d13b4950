import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/**
 * Routes Nest's Logger (and through it kafkajs's logs, see publishing/kafka-client.options.ts)
 * to the relay's pino logger. pino-http's per-request middleware is not mounted: the one line
 * per webhook is written by webhooks/webhook-telemetry.ts with exactly the fields it needs,
 * and never with request headers, which carry the signature.
 */
export function loggingModule(logger: Logger): DynamicModule {
  return LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false }, forRoutes: [] });
}
