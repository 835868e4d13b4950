import { ENVELOPE_FORMATS, type EnvelopeFormat } from '../envelope/envelope-format.js';
import type { EnvReader } from './env-reader.js';
import { readSslFiles, type SslFiles } from './tls-files.js';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSasl {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
  /** Where the password came from: KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE (named when authentication fails). */
  readonly passwordVariable: string;
}

export interface KafkaTopics {
  readonly orders: string;
  readonly incidences: string;
  readonly deadLetter: string;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly ssl: boolean;
  /** The CA bundle and client certificate for TLS, read at start (KAFKA_SSL_*_FILE); empty for Node's trusted CAs and no client certificate. */
  readonly sslFiles: SslFiles;
  readonly sasl: KafkaSasl | undefined;
  readonly topics: KafkaTopics;
  readonly createTopics: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** How long a request waits for the broker's acknowledgement before it is answered 503. */
  readonly publishTimeoutMs: number;
  readonly batch: BatchLimits;
  /** The durable local spool (SPOOL_DIR), or undefined when it is off. */
  readonly spool: SpoolConfig | undefined;
  /** How envelopes are written as record values (ENVELOPE_FORMAT; envelope/envelope-format.ts). */
  readonly envelopeFormat: EnvelopeFormat;
}

/** What Kafka cannot take within PUBLISH_TIMEOUT_MS waits here on disk (see publishing/spooler.ts). */
export interface SpoolConfig {
  readonly dir: string;
  /** Bytes the spool may hold; past it requests are answered 503 again. */
  readonly maxBytes: number;
  /** A drain without progress for this long is stalled: readiness says so, and so does a metric. */
  readonly stallSeconds: number;
}

/** Micro-batching of produce requests (see publishing/batcher.ts). */
export interface BatchLimits {
  readonly lingerMs: number;
  readonly maxRecords: number;
  readonly maxBytes: number;
}

// A Kafka topic name: at most 249 characters of [a-zA-Z0-9._-] (Kafka's Topic.validate).
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const BROKER = /^[^\s:,]+:\d{1,5}$/;

export function readKafkaConfig(env: EnvReader): KafkaConfig {
  const brokers = env.list('KAFKA_BROKERS');
  const bad = brokers.filter((broker) => !BROKER.test(broker));
  if (bad.length > 0) env.fail('KAFKA_BROKERS', `must be comma-separated host:port, got "${bad.join(',')}"`, undefined);

  const { ssl, sslFiles } = readSsl(env);
  return {
    brokers: brokers.length > 0 ? brokers : ['127.0.0.1:9092'],
    clientId: env.string('KAFKA_CLIENT_ID', 'dropea-relay'),
    ssl,
    sslFiles,
    sasl: readSasl(env, ssl),
    topics: {
      orders: topic(env, 'KAFKA_TOPIC_ORDERS', 'dropea.order.status.v1'),
      incidences: topic(env, 'KAFKA_TOPIC_INCIDENCES', 'dropea.incidence.status.v1'),
      deadLetter: topic(env, 'KAFKA_TOPIC_DLQ', 'dropea.webhook.dlq.v1'),
    },
    createTopics: env.bool('KAFKA_CREATE_TOPICS', false),
    partitions: env.int('KAFKA_TOPIC_PARTITIONS', 6, { min: 1, max: 10_000 }),
    replicationFactor: env.int('KAFKA_REPLICATION_FACTOR', 1, { min: 1, max: 32 }),
    publishTimeoutMs: env.int('PUBLISH_TIMEOUT_MS', 5000, { min: 100, max: 600_000 }),
    batch: {
      lingerMs: env.int('KAFKA_BATCH_LINGER_MS', 2, { min: 0, max: 1000 }),
      maxRecords: env.int('KAFKA_BATCH_MAX_RECORDS', 500, { min: 1, max: 100_000 }),
      // Below the broker's default message.max.bytes (1 MiB) with room for the request framing.
      maxBytes: env.int('KAFKA_BATCH_MAX_BYTES', 900_000, { min: 1024, max: 64 * 1024 * 1024 }),
    },
    spool: readSpool(env),
    // JSON by default: the CloudEvents JSON format every consumer of the topics reads today.
    envelopeFormat: env.oneOf('ENVELOPE_FORMAT', ENVELOPE_FORMATS, 'json'),
  };
}

function topic(env: EnvReader, name: string, fallback: string): string {
  const value = env.string(name, fallback);
  return TOPIC_NAME.test(value) && value !== '.' && value !== '..'
    ? value
    : env.fail(name, `must be a Kafka topic name ([a-zA-Z0-9._-], at most 249 characters), got "${value}"`, fallback);
}

function readSpool(env: EnvReader): SpoolConfig | undefined {
  const dir = env.optionalString('SPOOL_DIR');
  const maxBytes = env.int('SPOOL_MAX_BYTES', 1024 ** 3, { min: 1024 * 1024, max: 2 ** 50 });
  const stallSeconds = env.int('SPOOL_STALL_SECONDS', 30, { min: 1, max: 86_400 });
  if (dir !== undefined && !hasSqlite(process.versions.node)) {
    env.fail('SPOOL_DIR', `needs Node.js 22.13 or newer (its store is node:sqlite); this is Node.js ${process.versions.node}`, undefined);
  }
  return dir === undefined ? undefined : { dir, maxBytes, stallSeconds };
}

/** node:sqlite is in Node.js without a flag from 22.13.0 (and 23.4.0). */
function hasSqlite(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

const SSL_FILE_VARIABLES = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const;

/**
 * KAFKA_SSL, and the files of KAFKA_SSL_*_FILE. A file setting only has a meaning over TLS, so
 * setting one turns TLS on; KAFKA_SSL=false beside one is a contradiction and stops the start.
 */
function readSsl(env: EnvReader): { ssl: boolean; sslFiles: SslFiles } {
  const fileVariables = SSL_FILE_VARIABLES.filter((name) => env.raw(name) !== undefined);
  const ssl = env.bool('KAFKA_SSL', fileVariables.length > 0);
  if (!ssl && fileVariables.length > 0) {
    const what = fileVariables.length === 1 ? 'is a TLS setting' : 'are TLS settings';
    env.fail('KAFKA_SSL', `is false, but ${fileVariables.join(' and ')} ${what}; remove KAFKA_SSL=false (a KAFKA_SSL_*_FILE setting turns TLS on) or the file setting`, undefined);
  }
  return { ssl, sslFiles: readSslFiles(env) };
}

/**
 * SASL/PLAIN sends the password as it is (RFC 4616): without TLS anyone on the path reads it, so
 * that combination needs KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS=true. SCRAM never sends the
 * password (RFC 5802) and needs no such switch.
 */
function readSasl(env: EnvReader, ssl: boolean): KafkaSasl | undefined {
  const mechanism = env.oneOf('KAFKA_SASL_MECHANISM', ['plain', 'scram-sha-256', 'scram-sha-512']);
  const allowPlainText = env.bool('KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS', false);
  if (mechanism === undefined) return undefined;
  if (mechanism === 'plain' && !ssl && !allowPlainText) {
    env.fail(
      'KAFKA_SASL_MECHANISM',
      'is plain without KAFKA_SSL=true: the password would cross the network in clear; turn TLS on, use scram-sha-512, or set KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS=true',
      undefined,
    );
  }
  const username = env.optionalString('KAFKA_SASL_USERNAME');
  // KAFKA_SASL_PASSWORD_FILE: the `password` key of the KafkaUser's Secret, mounted as a file.
  const password = env.secret('KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE');
  if (username === undefined) env.fail('KAFKA_SASL_USERNAME', `must be set when KAFKA_SASL_MECHANISM=${mechanism}`, undefined);
  if (password === undefined && env.raw('KAFKA_SASL_PASSWORD_FILE') === undefined) {
    env.fail('KAFKA_SASL_PASSWORD', `(or KAFKA_SASL_PASSWORD_FILE) must be set when KAFKA_SASL_MECHANISM=${mechanism}`, undefined);
  }
  return { mechanism, username: username ?? '', password: password?.value ?? '', passwordVariable: password?.variable ?? 'KAFKA_SASL_PASSWORD' };
}
