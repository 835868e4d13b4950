import { describe, expect, it } from '@jest/globals';
import { ConfigError } from './env-reader.js';
import { loadRelayConfig } from './relay-config.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadRelayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadRelayConfig', () => {
  it('has the contract defaults (CONTRACT.md §3, §4)', () => {
    expect(loadRelayConfig({})).toEqual({
      http: {
        host: '0.0.0.0',
        port: 3000,
        maxBodyBytes: 65536,
        logLevel: 'info',
        shutdownTimeoutMs: 25_000,
        timeouts: { requestMs: 10_000, connectionMs: 30_000, keepAliveMs: 72_000 },
        trustProxy: false,
        rateLimit: { max: 0, windowMs: 1_000 },
      },
      webhooks: { apiKeys: [], signatureMode: 'off', ceSource: 'dropea', dedupTtlSeconds: 600, dedupMaxEntries: 20_000 },
      kafka: {
        brokers: ['127.0.0.1:9092'],
        clientId: 'dropea-relay',
        ssl: false,
        sasl: undefined,
        topics: { orders: 'dropea.order.status.v1', incidences: 'dropea.incidence.status.v1', deadLetter: 'dropea.webhook.dlq.v1' },
        createTopics: false,
        partitions: 6,
        replicationFactor: 1,
        publishTimeoutMs: 5000,
        batch: { lingerMs: 2, maxRecords: 500, maxBytes: 900_000 },
        spool: undefined,
        envelopeFormat: 'json',
      },
    });
  });

  it('reads TRUST_PROXY as off, everyone or the proxies named', () => {
    expect(loadRelayConfig({ TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
    expect(loadRelayConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadRelayConfig({ TRUST_PROXY: ' 10.0.0.1 ' }).http.trustProxy).toBe('10.0.0.1');
  });

  it('requires signatures when keys are configured, unless optional is asked for', () => {
    const config = loadRelayConfig({ DROPEA_API_KEYS: ' old-key , new-key ,' });
    expect(config.webhooks).toMatchObject({ apiKeys: ['old-key', 'new-key'], signatureMode: 'required' });
    expect(loadRelayConfig({ DROPEA_API_KEYS: 'k', DROPEA_SIGNATURE_MODE: 'optional' }).webhooks.signatureMode).toBe('optional');
  });

  it('refuses SASL/PLAIN without TLS unless it is allowed explicitly; SCRAM needs no TLS to hide the password', () => {
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    expect(problemsOf(plain)).toEqual([expect.stringMatching(/^KAFKA_SASL_MECHANISM is plain without KAFKA_SSL=true.*KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS=true/)]);
    expect(problemsOf({ ...plain, KAFKA_SSL: 'true' })).toEqual([]);
    expect(problemsOf({ ...plain, KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS: 'true' })).toEqual([]);
    expect(problemsOf({ ...plain, KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toEqual([]);
  });

  it('reads every variable', () => {
    const config = loadRelayConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      MAX_BODY_BYTES: '1024',
      LOG_LEVEL: 'DEBUG',
      DROPEA_API_KEYS: 'k',
      DROPEA_SIGNATURE_MODE: 'required',
      CE_SOURCE: 'https://dropea.com',
      DEDUP_TTL_SECONDS: '60',
      DEDUP_MAX_ENTRIES: '5',
      PUBLISH_TIMEOUT_MS: '250',
      SHUTDOWN_TIMEOUT_MS: '4000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_CONNECTION_TIMEOUT_MS: '3000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '61000',
      TRUST_PROXY: '10.0.0.0/8, loopback',
      RATE_LIMIT_MAX: '100',
      RATE_LIMIT_WINDOW_MS: '60000',
      SPOOL_DIR: '/var/spool/dropea-relay',
      SPOOL_MAX_BYTES: '10485760',
      SPOOL_STALL_SECONDS: '45',
      KAFKA_BROKERS: 'kafka-0.kafka:9093, kafka-1.kafka:9093',
      KAFKA_CLIENT_ID: 'relay-a',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'relay',
      KAFKA_SASL_PASSWORD: 'secret',
      KAFKA_TOPIC_ORDERS: 'o',
      KAFKA_TOPIC_INCIDENCES: 'i',
      KAFKA_TOPIC_DLQ: 'd',
      KAFKA_CREATE_TOPICS: 'yes',
      KAFKA_TOPIC_PARTITIONS: '12',
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_BATCH_LINGER_MS: '0',
      KAFKA_BATCH_MAX_RECORDS: '100',
      KAFKA_BATCH_MAX_BYTES: '65536',
      ENVELOPE_FORMAT: 'Protobuf',
    });
    expect(config).toEqual({
      http: {
        host: '127.0.0.1',
        port: 8080,
        maxBodyBytes: 1024,
        logLevel: 'debug',
        shutdownTimeoutMs: 4000,
        timeouts: { requestMs: 2000, connectionMs: 3000, keepAliveMs: 61_000 },
        trustProxy: '10.0.0.0/8, loopback',
        rateLimit: { max: 100, windowMs: 60_000 },
      },
      webhooks: { apiKeys: ['k'], signatureMode: 'required', ceSource: 'https://dropea.com', dedupTtlSeconds: 60, dedupMaxEntries: 5 },
      kafka: {
        brokers: ['kafka-0.kafka:9093', 'kafka-1.kafka:9093'],
        clientId: 'relay-a',
        ssl: true,
        sasl: { mechanism: 'scram-sha-512', username: 'relay', password: 'secret' },
        topics: { orders: 'o', incidences: 'i', deadLetter: 'd' },
        createTopics: true,
        partitions: 12,
        replicationFactor: 3,
        publishTimeoutMs: 250,
        batch: { lingerMs: 0, maxRecords: 100, maxBytes: 65536 },
        spool: { dir: '/var/spool/dropea-relay', maxBytes: 10_485_760, stallSeconds: 45 },
        envelopeFormat: 'protobuf',
      },
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ MAX_BODY_BYTES: '-1' }, 'MAX_BODY_BYTES'],
    [{ PUBLISH_TIMEOUT_MS: '1.5' }, 'PUBLISH_TIMEOUT_MS'],
    [{ SHUTDOWN_TIMEOUT_MS: 'later' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ SPOOL_MAX_BYTES: '10' }, 'SPOOL_MAX_BYTES'],
    [{ DEDUP_TTL_SECONDS: 'ten' }, 'DEDUP_TTL_SECONDS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DROPEA_SIGNATURE_MODE: 'sometimes', DROPEA_API_KEYS: 'k' }, 'DROPEA_SIGNATURE_MODE'],
    [{ DROPEA_SIGNATURE_MODE: 'required' }, 'DROPEA_API_KEYS'],
    [{ KAFKA_BROKERS: 'localhost' }, 'KAFKA_BROKERS'],
    [{ KAFKA_SSL: 'maybe' }, 'KAFKA_SSL'],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, 'KAFKA_SASL_MECHANISM'],
    [{ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_USERNAME'],
    [{ SPOOL_STALL_SECONDS: '0' }, 'SPOOL_STALL_SECONDS'],
    [{ KAFKA_TOPIC_ORDERS: 'orders topic' }, 'KAFKA_TOPIC_ORDERS'],
    [{ KAFKA_TOPIC_DLQ: '..' }, 'KAFKA_TOPIC_DLQ'],
    [{ KAFKA_TOPIC_PARTITIONS: '0' }, 'KAFKA_TOPIC_PARTITIONS'],
    [{ KAFKA_CREATE_TOPICS: 'sure' }, 'KAFKA_CREATE_TOPICS'],
    [{ KAFKA_BATCH_MAX_RECORDS: '0' }, 'KAFKA_BATCH_MAX_RECORDS'],
    [{ KAFKA_BATCH_LINGER_MS: 'fast' }, 'KAFKA_BATCH_LINGER_MS'],
    [{ ENVELOPE_FORMAT: 'avro' }, 'ENVELOPE_FORMAT'],
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'HTTP_REQUEST_TIMEOUT_MS'],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'long' }, 'HTTP_KEEP_ALIVE_TIMEOUT_MS'],
    [{ HTTP_CONNECTION_TIMEOUT_MS: '5000' }, 'HTTP_CONNECTION_TIMEOUT_MS'],
    [{ HTTP_CONNECTION_TIMEOUT_MS: '1000', PUBLISH_TIMEOUT_MS: '2000' }, 'HTTP_CONNECTION_TIMEOUT_MS'],
    [{ RATE_LIMIT_MAX: '-5' }, 'RATE_LIMIT_MAX'],
    [{ RATE_LIMIT_WINDOW_MS: '10' }, 'RATE_LIMIT_WINDOW_MS'],
  ])('rejects %j, naming %s', (env, variable) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable} `));
  });

  it('names every bad variable at once', () => {
    expect(problemsOf({ PORT: 'x', LOG_LEVEL: 'y', KAFKA_SSL: 'z' }).map((p) => p.split(' ')[0])).toEqual([
      'PORT',
      'LOG_LEVEL',
      'KAFKA_SSL',
    ]);
  });

  it('never echoes a SASL password', () => {
    const problems = problemsOf({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'secret-value', PORT: 'x' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).not.toContain('secret-value');
  });
});
