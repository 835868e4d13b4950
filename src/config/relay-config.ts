import { EnvReader, type Env } from './env-reader.js';
import { readHttpConfig, type HttpConfig } from './http.config.js';
import { readKafkaConfig, type KafkaConfig } from './kafka.config.js';
import { readWebhooksConfig, type WebhooksConfig } from './webhooks.config.js';

/** The whole configuration, one namespace per concern; read once, at start. */
export interface RelayConfig {
  readonly http: HttpConfig;
  readonly webhooks: WebhooksConfig;
  readonly kafka: KafkaConfig;
}

/** Throws a ConfigError naming every invalid variable. */
export function loadRelayConfig(env: Env): RelayConfig {
  const reader = new EnvReader(env);
  const config: RelayConfig = {
    http: readHttpConfig(reader),
    webhooks: readWebhooksConfig(reader),
    kafka: readKafkaConfig(reader),
  };
  reader.assertValid();
  return config;
}
