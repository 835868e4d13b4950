import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RelayConfig } from '../config/relay-config.js';
import { registerMethodNotAllowed } from '../http/method-not-allowed.js';
import { serverOptions } from '../http/server-options.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { ProblemDetailsFilter } from '../problem/problem-details.filter.js';
import { PUBLISHER_HEALTH, type PublisherHealth } from '../publishing/event-publisher.js';
import { ShutdownGate } from '../shutdown/shutdown-gate.js';
import { MANAGEMENT_ROUTES } from './management-routes.js';
import { ManagementModule } from './management.module.js';

/**
 * The management routes on a Fastify server of their own, for MANAGEMENT_PORT: a second, small
 * Nest app over the relay app's registry, publisher and shutdown gate. Every other path is a
 * 404 problem, the webhooks included; the relay app then has no management route.
 *
 * It takes no closing hooks: from SIGTERM on it keeps answering, /health/ready with 503 and
 * /metrics with the drain's counts, until main.ts closes it after the relay app.
 */
export async function createManagementApp(relay: NestFastifyApplication, config: RelayConfig): Promise<NestFastifyApplication> {
  // The same slow-client limits as on PORT; no body is read here (every route is a GET).
  const adapter = new FastifyAdapter({ ...serverOptions(config.http), skipMiddie: true });
  const sources = { metrics: relay.get(RelayMetrics), publisher: relay.get<symbol, PublisherHealth>(PUBLISHER_HEALTH), gate: relay.get(ShutdownGate) };
  // No logger option: Nest keeps the one the relay app installed (configure-app.ts).
  const app = await NestFactory.create<NestFastifyApplication>(ManagementModule.forRoot(sources), adapter, { bodyParser: false });
  registerMethodNotAllowed(app.getHttpAdapter().getInstance(), Object.fromEntries(MANAGEMENT_ROUTES.map((route) => [route, ['GET'] as const])));
  app.useGlobalFilters(new ProblemDetailsFilter());
  return app;
}
