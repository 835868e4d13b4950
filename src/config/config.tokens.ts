/** Injection tokens of the configuration namespaces (see config.module.ts). */
export const HTTP_CONFIG = Symbol('HttpConfig');
export const WEBHOOKS_CONFIG = Symbol('WebhooksConfig');
export const KAFKA_CONFIG = Symbol('KafkaConfig');
