import { Transport, type KafkaOptions } from '@nestjs/microservices';
import { Partitioners, logLevel, type KafkaConfig as KafkajsConfig, type ProducerConfig, type SASLOptions } from 'kafkajs';
import type { LogLevel } from '../config/http.config.js';
import type { KafkaConfig } from '../config/kafka.config.js';

export const KAFKA_CLIENT = Symbol('KafkaClient');

/**
 * The kafkajs client, built by Nest's ClientKafka, and its producer.
 * - Idempotent producer, acks=all: a retried produce request is written once
 *   (KIP-98, https://cwiki.apache.org/confluence/display/KAFKA/KIP-98+-+Exactly+Once+Delivery+and+Transactional+Messaging).
 * - One request in flight per broker, which idempotence in kafkajs requires; batching makes up for it.
 * - The default partitioner is murmur2 like the Java client's, so all clients agree on partitions.
 * - Short retries: a request is answered 503 after PUBLISH_TIMEOUT_MS anyway, and a failed
 *   producer is replaced (see ProducerSlot), so retrying for long only delays that.
 */
export function kafkaClientOptions(config: KafkaConfig, level: LogLevel): KafkaOptions {
  return { transport: Transport.KAFKA, options: { postfixId: '', producerOnlyMode: true, client: kafkajsClientConfig(config, level) } };
}

/** The kafkajs client settings alone, for the programs that use kafkajs without Nest (dlq-replay, consume). */
export function kafkajsClientConfig(config: KafkaConfig, level: LogLevel): KafkajsConfig {
  return {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.ssl,
    ...(config.sasl ? { sasl: sasl(config) } : {}),
    connectionTimeout: 3000,
    requestTimeout: Math.max(config.publishTimeoutMs, 1000),
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 10 },
    logLevel: KAFKAJS_LOG_LEVEL[level],
  };
}

export function kafkaProducerConfig(): ProducerConfig {
  return {
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 10 },
  };
}

/**
 * kafkajs logs every failed connection attempt at ERROR, several a second while a broker is
 * away; the publisher reports those failures itself, once each. Its own chatter is kept for
 * debugging.
 */
const KAFKAJS_LOG_LEVEL: Record<LogLevel, logLevel> = {
  fatal: logLevel.NOTHING,
  error: logLevel.NOTHING,
  warn: logLevel.NOTHING,
  info: logLevel.NOTHING,
  debug: logLevel.WARN,
  trace: logLevel.DEBUG,
};

function sasl(config: KafkaConfig): SASLOptions {
  const { mechanism, username, password } = config.sasl!;
  return { mechanism, username, password } as SASLOptions;
}
