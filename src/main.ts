import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError } from './config/env-reader.js';
import { loadRelayConfig, type RelayConfig } from './config/relay-config.js';
import { createApp } from './configure-app.js';

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
}

void bootstrap();
