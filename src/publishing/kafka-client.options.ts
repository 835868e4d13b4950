import { Transport, type KafkaOptions } from '@nestjs/microservices';
import type { KafkaConfig as KafkajsConfig, logLevel, ProducerConfig, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { LogLevel } from '../config/http.config.js';
import type { KafkaConfig } from '../config/kafka.config.js';
import { kafkajs } from '../kafkajs/kafkajs.js';

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

/**
 * The kafkajs client settings alone, shared by the relay and the programs that use kafkajs
 * without Nest (dlq-replay, consume), so all of them reach Kafka with the same TLS and SASL.
 */
export function kafkajsClientConfig(config: KafkaConfig, level: LogLevel): KafkajsConfig {
  return {
    clientId: config.clientId,
    brokers: [...config.brokers],
    ssl: config.ssl ? tlsOptions(config) : false,
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
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 10 },
  };
}

/**
 * kafkajs logs every failed connection attempt at ERROR, several a second while a broker is
 * away; the publisher reports those failures itself, once each. Its own chatter is kept for
 * debugging.
 */
const KAFKAJS_LOG_LEVEL: Record<LogLevel, logLevel> = {
  fatal: kafkajs.logLevel.NOTHING,
  error: kafkajs.logLevel.NOTHING,
  warn: kafkajs.logLevel.NOTHING,
  info: kafkajs.logLevel.NOTHING,
  debug: kafkajs.logLevel.WARN,
  trace: kafkajs.logLevel.DEBUG,
};

/**
 * Node's TLS options (https://nodejs.org/api/tls.html#tlscreatesecurecontextoptions): `ca`
 * replaces Node's trusted CAs (NODE_EXTRA_CA_CERTS included) for these connections only, so a
 * broker is trusted only when KAFKA_SSL_CA_FILE's CA signed it; `cert` and `key` are the client
 * certificate a listener with ssl.client.auth=required asks for. kafkajs passes them to
 * tls.connect and sets the server name from the broker's host.
 */
function tlsOptions({ sslFiles }: KafkaConfig): true | ConnectionOptions {
  if (sslFiles.ca === undefined && sslFiles.client === undefined) return true;
  return {
    ...(sslFiles.ca ? { ca: sslFiles.ca.text } : {}),
    ...(sslFiles.client ? { cert: sslFiles.client.cert.text, key: sslFiles.client.key.text } : {}),
  };
}

function sasl(config: KafkaConfig): SASLOptions {
  const { mechanism, username, password } = config.sasl!;
  return { mechanism, username, password } as SASLOptions;
}
