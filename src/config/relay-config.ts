import { EnvReader, type Env, type ReadText } from './env-reader.js';
import { readHttpConfig, type HttpConfig } from './http.config.js';
import { readKafkaConfig, type KafkaConfig } from './kafka.config.js';
import { readManagementConfig, type ManagementConfig } from './management.config.js';
import { readWebhooksConfig, type WebhooksConfig } from './webhooks.config.js';

/** The whole configuration, one namespace per concern; read once, at start. */
export interface RelayConfig {
  readonly http: HttpConfig;
  /** Undefined unless MANAGEMENT_PORT is set: then /metrics and /health/* are served there only. */
  readonly management: ManagementConfig | undefined;
  readonly webhooks: WebhooksConfig;
  readonly kafka: KafkaConfig;
}

/**
 * Throws a ConfigError naming every invalid variable. The files that variables name
 * (KAFKA_SSL_*_FILE, *_FILE secrets) are read here, once, through `readText`.
 */
export function loadRelayConfig(env: Env, readText?: ReadText): RelayConfig {
  const reader = new EnvReader(env, readText);
  const http = readHttpConfig(reader);
  const config: RelayConfig = {
    http,
    management: readManagementConfig(reader, http),
    webhooks: readWebhooksConfig(reader),
    kafka: readKafkaConfig(reader),
  };
  // The socket's inactivity timeout also runs while an answer waits for Kafka.
  if (config.http.timeouts.connectionMs <= config.kafka.publishTimeoutMs) {
    reader.fail('HTTP_CONNECTION_TIMEOUT_MS', `must be longer than PUBLISH_TIMEOUT_MS (${config.kafka.publishTimeoutMs}), got "${config.http.timeouts.connectionMs}"`, undefined);
  }
  reader.assertValid();
  return config;
}
