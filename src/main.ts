import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { ConfigError } from './config/env-reader.js';
import { loadRelayConfig, type RelayConfig } from './config/relay-config.js';
import { createApp } from './configure-app.js';

/** Longer than kafkajs's bounded retries, so a send in flight can settle before exit. */
const FORCED_EXIT_MS = 30_000;

async function bootstrap(): Promise<void> {
  let config: RelayConfig;
  try {
    config = loadRelayConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`dropea-relay: ${error.message}\n`);
    process.exit(78); // EX_CONFIG (sysexits.h)
  }
  const app = await createApp(config);
  if (config.webhooks.signatureMode === 'off') {
    Logger.warn('DROPEA_SIGNATURE_MODE=off: webhook signatures are not checked', 'Bootstrap');
  }
  await app.listen(config.http.port, config.http.host);
  Logger.log(`Listening on ${await app.getUrl()}`, 'Bootstrap');
  closeOnSignals(app);
}

/**
 * SIGTERM (Kubernetes) or SIGINT (Ctrl-C): stop accepting, let in-flight requests finish, close
 * the producer, then exit 0 (CONTRACT.md §4). Nest's own shutdown hooks would re-raise the
 * signal after closing, which ends the process with the signal instead of 0.
 */
function closeOnSignals(app: INestApplication): void {
  const close = (signal: NodeJS.Signals): void => {
    Logger.log(`${signal} received, shutting down`, 'Bootstrap');
    process.removeAllListeners('SIGTERM').removeAllListeners('SIGINT');
    // A second signal, or a close that hangs, ends the process at once.
    process.once('SIGTERM', () => process.exit(1)).once('SIGINT', () => process.exit(1));
    setTimeout(() => process.exit(1), FORCED_EXIT_MS).unref();
    app.close().then(
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
