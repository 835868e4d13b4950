import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates, type TestCertificates } from '../../test/support/test-certificates.js';
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
        sslFiles: {},
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
        sslFiles: {},
        sasl: { mechanism: 'scram-sha-512', username: 'relay', password: 'secret', passwordVariable: 'KAFKA_SASL_PASSWORD' },
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

  describe('files named by variables (read once, at start)', () => {
    let dir: string;
    let certs: TestCertificates;
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const text = (path: string): string => readFileSync(path, 'utf8');

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
      certs = makeTestCertificates(join(dir, 'tls'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the CA bundle of KAFKA_SSL_CA_FILE, which turns TLS on', () => {
      const kafka = loadRelayConfig({ KAFKA_SSL_CA_FILE: certs.ca.cert }).kafka;
      expect(kafka.ssl).toBe(true);
      expect(kafka.sslFiles).toEqual({ ca: { variable: 'KAFKA_SSL_CA_FILE', path: certs.ca.cert, text: text(certs.ca.cert) } });
      // A bundle of several CAs (a CA being renewed beside the old one) is a CA file too.
      const bundle = file('bundle.crt', text(certs.ca.cert) + text(certs.otherCa.cert));
      expect(loadRelayConfig({ KAFKA_SSL_CA_FILE: bundle, KAFKA_SSL: 'true' }).kafka.sslFiles.ca?.path).toBe(bundle);
    });

    it('reads a client certificate and its key for mTLS: both or neither, and they must match', () => {
      const kafka = loadRelayConfig({ KAFKA_SSL_CERT_FILE: certs.client.cert, KAFKA_SSL_KEY_FILE: certs.client.key }).kafka;
      expect(kafka.ssl).toBe(true);
      expect(kafka.sslFiles.client).toEqual({
        cert: { variable: 'KAFKA_SSL_CERT_FILE', path: certs.client.cert, text: text(certs.client.cert) },
        key: { variable: 'KAFKA_SSL_KEY_FILE', path: certs.client.key, text: text(certs.client.key) },
      });
      expect(problemsOf({ KAFKA_SSL_CERT_FILE: certs.client.cert })).toEqual([expect.stringMatching(/^KAFKA_SSL_KEY_FILE must be set with KAFKA_SSL_CERT_FILE/)]);
      expect(problemsOf({ KAFKA_SSL_KEY_FILE: certs.client.key })).toEqual([expect.stringMatching(/^KAFKA_SSL_CERT_FILE must be set with KAFKA_SSL_KEY_FILE/)]);
      expect(problemsOf({ KAFKA_SSL_CERT_FILE: certs.client.cert, KAFKA_SSL_KEY_FILE: certs.stranger.key })).toEqual([
        `KAFKA_SSL_KEY_FILE names ${certs.stranger.key}, whose key is not the one of the certificate in KAFKA_SSL_CERT_FILE (${certs.client.cert})`,
      ]);
    });

    it('stops the start on a missing, unreadable or non-PEM file, naming the variable and the path', () => {
      const missing = join(dir, 'no-such.crt');
      const notPem = file('not-pem.crt', 'this is not a certificate\n');
      const brokenPem = file('broken.crt', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      const subdir = join(dir, 'a-directory');
      mkdirSync(subdir, { recursive: true });
      expect(problemsOf({ KAFKA_SSL_CA_FILE: missing })).toEqual([`KAFKA_SSL_CA_FILE names ${missing}, which does not exist`]);
      expect(problemsOf({ KAFKA_SSL_CA_FILE: subdir })).toEqual([`KAFKA_SSL_CA_FILE names ${subdir}, which is a directory, not a file`]);
      expect(problemsOf({ KAFKA_SSL_CA_FILE: notPem })).toEqual([expect.stringMatching(`^KAFKA_SSL_CA_FILE names ${notPem}, which holds no PEM certificate`)]);
      expect(problemsOf({ KAFKA_SSL_CA_FILE: brokenPem })).toEqual([`KAFKA_SSL_CA_FILE names ${brokenPem}, whose certificate #1 is not a valid X.509 certificate`]);
      // The key file given a certificate, and the other way round.
      expect(problemsOf({ KAFKA_SSL_CERT_FILE: certs.client.key, KAFKA_SSL_KEY_FILE: certs.client.cert })).toEqual([
        expect.stringMatching(`^KAFKA_SSL_CERT_FILE names ${certs.client.key}, which holds no PEM certificate`),
        `KAFKA_SSL_KEY_FILE names ${certs.client.cert}, which holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
      ]);
      const encrypted = file('encrypted.key', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n');
      expect(problemsOf({ KAFKA_SSL_CERT_FILE: certs.client.cert, KAFKA_SSL_KEY_FILE: encrypted })).toEqual([
        `KAFKA_SSL_KEY_FILE names ${encrypted}, whose private key is encrypted; give it unencrypted (as Strimzi's user.key is)`,
      ]);
    });

    it('refuses KAFKA_SSL=false beside a file setting, which needs TLS', () => {
      expect(problemsOf({ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: certs.ca.cert })).toEqual([
        expect.stringMatching(/^KAFKA_SSL is false, but KAFKA_SSL_CA_FILE is a TLS setting; remove KAFKA_SSL=false/),
      ]);
    });

    it('reads the SASL password from KAFKA_SASL_PASSWORD_FILE, without its trailing line break', () => {
      const scram = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'relay' };
      const password = file('password', ' pass word \n');
      expect(loadRelayConfig({ ...scram, KAFKA_SASL_PASSWORD_FILE: password }).kafka.sasl).toEqual({
        mechanism: 'scram-sha-512',
        username: 'relay',
        password: ' pass word ',
        passwordVariable: 'KAFKA_SASL_PASSWORD_FILE',
      });
      // As Strimzi writes it: no line break at all.
      expect(loadRelayConfig({ ...scram, KAFKA_SASL_PASSWORD_FILE: file('strimzi-password', 'p4ss') }).kafka.sasl?.password).toBe('p4ss');
    });

    it('refuses a secret given twice, or from an empty or missing file, naming the variables and never the secret', () => {
      const scram = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'relay' };
      const password = file('the-password', 'secret-value\n');
      const both = problemsOf({ ...scram, KAFKA_SASL_PASSWORD: 'secret-value', KAFKA_SASL_PASSWORD_FILE: password });
      expect(both).toEqual([expect.stringMatching(/^KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set; set only one/)]);
      expect(both.join('\n')).not.toContain('secret-value');
      const empty = file('empty', '\n');
      expect(problemsOf({ ...scram, KAFKA_SASL_PASSWORD_FILE: empty })).toEqual([`KAFKA_SASL_PASSWORD_FILE names ${empty}, which is empty`]);
      const missing = join(dir, 'no-password');
      expect(problemsOf({ ...scram, KAFKA_SASL_PASSWORD_FILE: missing })).toEqual([`KAFKA_SASL_PASSWORD_FILE names ${missing}, which does not exist`]);
      expect(problemsOf(scram)).toEqual([expect.stringMatching(/^KAFKA_SASL_PASSWORD \(or KAFKA_SASL_PASSWORD_FILE\) must be set/)]);
    });

    it('reads DROPEA_API_KEYS_FILE one key a line and/or comma-separated, and then requires signatures', () => {
      const keys = file('api-keys', 'old-key\nnew-key, third-key\r\n\n');
      expect(loadRelayConfig({ DROPEA_API_KEYS_FILE: keys }).webhooks).toMatchObject({ apiKeys: ['old-key', 'new-key', 'third-key'], signatureMode: 'required' });
      expect(loadRelayConfig({ DROPEA_API_KEYS_FILE: file('one-key', 'only-key\n') }).webhooks.apiKeys).toEqual(['only-key']);
      expect(problemsOf({ DROPEA_API_KEYS: 'old-key', DROPEA_API_KEYS_FILE: keys })).toEqual([
        expect.stringMatching(/^DROPEA_API_KEYS and DROPEA_API_KEYS_FILE are both set; set only one/),
      ]);
      const commas = file('no-keys', ' , \n');
      expect(problemsOf({ DROPEA_API_KEYS_FILE: commas })).toEqual([`DROPEA_API_KEYS_FILE names ${commas}, which holds no key`]);
      const missing = join(dir, 'no-keys-file');
      expect(problemsOf({ DROPEA_API_KEYS_FILE: missing, DROPEA_SIGNATURE_MODE: 'required' })).toEqual([`DROPEA_API_KEYS_FILE names ${missing}, which does not exist`]);
    });
  });
});

describe('MANAGEMENT_PORT and MANAGEMENT_HOST', () => {
  it('are off by default: every route stays on PORT', () => {
    expect(loadRelayConfig({}).management).toBeUndefined();
    expect(loadRelayConfig({ MANAGEMENT_PORT: '  ' }).management).toBeUndefined();
  });

  it('listen on HOST unless MANAGEMENT_HOST says otherwise', () => {
    expect(loadRelayConfig({ MANAGEMENT_PORT: '9464' }).management).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(loadRelayConfig({ HOST: '127.0.0.1', MANAGEMENT_PORT: '9464' }).management).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadRelayConfig({ HOST: '0.0.0.0', MANAGEMENT_PORT: '9464', MANAGEMENT_HOST: ' 127.0.0.1 ' }).management).toEqual({
      host: '127.0.0.1',
      port: 9464,
    });
  });

  it('take port 0 (a free port) beside PORT=0: two different ports', () => {
    expect(loadRelayConfig({ PORT: '0', MANAGEMENT_PORT: '0' }).management).toEqual({ host: '0.0.0.0', port: 0 });
  });

  it.each(['http', '-1', '65536', '94.64', '0x2000'])('refuse MANAGEMENT_PORT=%s, naming it', (value) => {
    expect(problemsOf({ MANAGEMENT_PORT: value })).toEqual([`MANAGEMENT_PORT must be an integer from 0 to 65535, got "${value}"`]);
  });

  it('refuse the webhook port itself', () => {
    expect(problemsOf({ MANAGEMENT_PORT: '3000' })).toEqual([expect.stringMatching(/^MANAGEMENT_PORT must differ from PORT \(3000\), got "3000"/)]);
    expect(problemsOf({ PORT: '8080', MANAGEMENT_PORT: '8080' })).toEqual([expect.stringMatching(/^MANAGEMENT_PORT must differ from PORT \(8080\)/)]);
    expect(problemsOf({ PORT: '8080', MANAGEMENT_PORT: '3000' })).toEqual([]);
  });

  it('refuse MANAGEMENT_HOST without MANAGEMENT_PORT, which would change nothing', () => {
    expect(problemsOf({ MANAGEMENT_HOST: '127.0.0.1' })).toEqual([
      'MANAGEMENT_HOST is set ("127.0.0.1") without MANAGEMENT_PORT; set MANAGEMENT_PORT too, or unset it',
    ]);
  });

  it('are named beside every other bad variable', () => {
    expect(problemsOf({ PORT: 'http', MANAGEMENT_PORT: 'metrics' })).toEqual([
      'PORT must be an integer from 0 to 65535, got "http"',
      'MANAGEMENT_PORT must be an integer from 0 to 65535, got "metrics"',
    ]);
  });
});
