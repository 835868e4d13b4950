#!/usr/bin/env node
import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { ConfigError } from './config/env-reader.js';
import type { ManagementConfig } from './config/management.config.js';
import { loadRelayConfig, type RelayConfig } from './config/relay-config.js';
import { createApp } from './configure-app.js';
import { routeProcessWarnings } from './logging/process-warnings.js';
import { createManagementApp } from './management/management-app.js';
import { MANAGEMENT_ROUTES } from './management/management-routes.js';
import { SpoolOpenError } from './spool/spool-store.js';
import { startTracing, type Tracing } from './tracing/tracing-sdk.js';
import { WEBHOOK_ROUTES } from './webhooks/webhook-routes.js';

async function bootstrap(): Promise<void> {
  let config: RelayConfig;
  try {
    config = loadRelayConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`dropea-relay: ${error.message}\n`);
    process.exit(78); // EX_CONFIG (sysexits.h)
  }
  routeProcessWarnings({ warn: (message) => Logger.warn(message, 'Process'), debug: (message) => Logger.debug(message, 'Process') });
  // Before the app, so that the first request already has a real tracer.
  const tracing = await startTracing(process.env);
  const app = await createApp(config);
  warnOfSignatureMode(config);
  try {
    await app.listen(config.http.port, config.http.host);
  } catch (error) {
    if (!(error instanceof SpoolOpenError)) throw error;
    // The spool is opened as the app starts; without it the relay must not serve.
    Logger.error(error.message, 'Bootstrap');
    process.exit(error.exitCode);
  }
  const management = config.management && (await listenForManagement(app, config, config.management));
  // Before the addresses are logged: whoever reads them may signal the relay at once.
  closeOnSignals(app, management, tracing, config.http.shutdownTimeoutMs);
  announceAddress(app, management, config);
  if (tracing) Logger.log('OpenTelemetry tracing is on (OTEL_* variables)', 'Bootstrap');
}

/** MANAGEMENT_PORT: the probes and /metrics on a listener of their own. */
async function listenForManagement(app: NestFastifyApplication, config: RelayConfig, { port, host }: ManagementConfig): Promise<INestApplication> {
  const management = await createManagementApp(app, config);
  await management.listen(port, host);
  return management;
}

/** Where a listening app's socket is bound, as a URL base (`http://host:port`). */
function baseUrlOf(app: INestApplication): { base: string; address: string; port: number } {
  const { address, family, port } = app.getHttpServer().address() as AddressInfo;
  return { base: `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`, address, port };
}

/**
 * The address the socket is bound to, as it is (Nest's getUrl() shows 127.0.0.1 for 0.0.0.0),
 * the URL of each webhook route and of each management route (on MANAGEMENT_PORT when it is
 * set); a warning when the webhooks are on every interface of the machine.
 */
function announceAddress(app: INestApplication, management: INestApplication | undefined, { http }: RelayConfig): void {
  const { base, address, port } = baseUrlOf(app);
  Logger.log(`Listening on ${base}`, 'Bootstrap');
  Logger.log(`Webhook routes: ${Object.keys(WEBHOOK_ROUTES).map((route) => `POST ${base}${route}`).join(', ')}`, 'Bootstrap');
  const managementBase = management === undefined ? base : baseUrlOf(management).base;
  Logger.log(`Management routes: ${MANAGEMENT_ROUTES.map((route) => `GET ${managementBase}${route}`).join(', ')}`, 'Bootstrap');
  if (address === '0.0.0.0' || address === '::') {
    Logger.warn(
      `HOST=${http.host} binds every interface of this machine: anyone who can reach it on port ${port} can send webhooks. ` +
        'Set HOST=127.0.0.1 to listen on this machine only (a container needs 0.0.0.0)',
      'Bootstrap',
    );
  }
}

function warnOfSignatureMode({ webhooks }: RelayConfig): void {
  if (webhooks.signatureMode === 'off') {
    Logger.warn('DROPEA_SIGNATURE_MODE=off: webhook signatures are not checked; anyone who can reach the relay can publish', 'Bootstrap');
  } else if (webhooks.signatureMode === 'optional') {
    Logger.warn('DROPEA_SIGNATURE_MODE=optional: unsigned webhooks are accepted (wrongly signed ones are not); use it only while a sender starts signing', 'Bootstrap');
  }
}

/**
 * SIGTERM (Kubernetes) or SIGINT (Ctrl-C): report not ready and turn new requests away
 * (ShutdownGate), let in-flight requests finish, flush and close the producer, then exit 0
 * (CONTRACT.md §4). Nest's own shutdown hooks would re-raise the signal after closing, which
 * ends the process with the signal instead of 0. A close that outlasts SHUTDOWN_TIMEOUT_MS
 * exits 1: whatever was still unanswered gets no 2xx, so nothing acknowledged is lost. The
 * management app (MANAGEMENT_PORT) closes after the relay app, so that through the drain its
 * /health/ready answers 503 and Prometheus can still scrape; tracing's last spans are exported
 * last, within the same bound.
 */
function closeOnSignals(app: INestApplication, management: INestApplication | undefined, tracing: Tracing | undefined, timeoutMs: number): void {
  const close = (signal: NodeJS.Signals): void => {
    Logger.log(`${signal} received, shutting down`, 'Bootstrap');
    process.removeAllListeners('SIGTERM').removeAllListeners('SIGINT');
    // A second signal, or a close that hangs, ends the process at once.
    process.once('SIGTERM', () => process.exit(1)).once('SIGINT', () => process.exit(1));
    setTimeout(() => {
      Logger.error(`Shutdown took longer than SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms); exiting`, 'Bootstrap');
      process.exit(1);
    }, timeoutMs).unref();
    app
      .close()
      .then(() => management?.close())
      // The spans of the last requests are exported before the process ends.
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          Logger.error(`Shutdown failed: ${String(error)}`, 'Bootstrap');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', close).once('SIGINT', close);
}

void bootstrap();
