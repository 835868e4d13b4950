import { describe, expect, it } from '@jest/globals';
import { loadRelayConfig } from '../config/relay-config.js';
import type { KafkaConfig } from '../config/kafka.config.js';
import { kafkaAccessFailure } from './kafka-access-failure.js';

/** Errors shaped as kafkajs 2.2 raises them (src/errors.js): a connection error carries the socket's code and the broker. */
function kafkajsError(name: string, message: string, fields: { code?: string; broker?: string; cause?: Error } = {}): Error {
  const error = new Error(message, fields.cause ? { cause: fields.cause } : undefined);
  return Object.assign(error, { name, code: fields.code, broker: fields.broker });
}

function retriesExceeded(cause: Error): Error {
  return kafkajsError('KafkaJSNumberOfRetriesExceeded', cause.message, { cause });
}

const PEM_FILE = { text: '' };
const tls: KafkaConfig = {
  ...loadRelayConfig({ KAFKA_BROKERS: 'kafka-0:9093,kafka-1:9093', KAFKA_SSL: 'true' }).kafka,
  sslFiles: {
    ca: { ...PEM_FILE, variable: 'KAFKA_SSL_CA_FILE', path: '/etc/kafka-cluster-ca/ca.crt' },
    client: {
      cert: { ...PEM_FILE, variable: 'KAFKA_SSL_CERT_FILE', path: '/etc/kafka-user/user.crt' },
      key: { ...PEM_FILE, variable: 'KAFKA_SSL_KEY_FILE', path: '/etc/kafka-user/user.key' },
    },
  },
};

describe('kafkaAccessFailure', () => {
  it('names an untrusted broker certificate, the broker and the CA file to check', () => {
    const error = retriesExceeded(
      kafkajsError('KafkaJSConnectionError', 'Connection error: self-signed certificate in certificate chain', {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
        broker: 'kafka-1:9093',
      }),
    );
    expect(kafkaAccessFailure(error, tls)).toEqual({
      kind: 'certificate_verification',
      summary: 'TLS certificate verification of the broker failed',
      message:
        'TLS certificate verification failed: the broker at kafka-1:9093 presented a certificate this relay does not trust ' +
        '(SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain). ' +
        "Check that KAFKA_SSL_CA_FILE (/etc/kafka-cluster-ca/ca.crt) holds the CA that signs the brokers' certificates (Strimzi: ca.crt of <cluster>-cluster-ca-cert)",
    });
    const noCa = { ...tls, sslFiles: {} };
    expect(kafkaAccessFailure(error, noCa)?.message).toMatch(/\. Set KAFKA_SSL_CA_FILE to the CA that signs the brokers' certificates/);
    const wrongName = kafkajsError('KafkaJSConnectionError', "Connection error: Hostname/IP does not match certificate's altnames", {
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      broker: 'kafka-0:9093',
    });
    expect(kafkaAccessFailure(wrongName, tls)?.message).toMatch(/Check that the address in KAFKA_BROKERS is a name in the broker's certificate$/);
  });

  it("names a client certificate the broker refused, without OpenSSL's source location, and the files to check", () => {
    const alert =
      'Connection error: 802CCC29317F0000:error:0A000416:SSL routines:ssl3_read_bytes:sslv3 alert certificate unknown:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 46\n';
    const error = retriesExceeded(kafkajsError('KafkaJSConnectionError', alert, { code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN', broker: 'kafka-0:9093' }));
    expect(kafkaAccessFailure(error, tls)).toEqual({
      kind: 'tls_handshake',
      summary: "TLS handshake failed: the broker refused the relay's client certificate",
      message:
        "TLS handshake failed: the broker at kafka-0:9093 refused this relay's client certificate (ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: sslv3 alert certificate unknown). " +
        "Check KAFKA_SSL_CERT_FILE (/etc/kafka-user/user.crt) and KAFKA_SSL_KEY_FILE (/etc/kafka-user/user.key): the listener requires a client certificate signed by a CA it trusts (Strimzi: user.crt and user.key of the KafkaUser's Secret)",
    });
    const required = kafkajsError('KafkaJSConnectionError', 'Connection error: tlsv13 alert certificate required', {
      code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      broker: 'kafka-0:9093',
    });
    expect(kafkaAccessFailure(required, { ...tls, sslFiles: {} })?.message).toMatch(
      /refused this relay's client certificate .*\. The listener requires a client certificate \(mTLS\): set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE/,
    );
  });

  it('names a TLS handshake with a listener that does not speak TLS', () => {
    const error = kafkajsError('KafkaJSConnectionError', 'Connection error: Client network socket disconnected before secure TLS connection was established', {
      code: 'ECONNRESET',
      broker: 'kafka-0:9092',
    });
    expect(kafkaAccessFailure(error, tls)).toMatchObject({ kind: 'tls_handshake', message: expect.stringMatching(/^TLS handshake failed at kafka-0:9092 \(ECONNRESET: .*\)\. Check that KAFKA_BROKERS names a TLS listener/) });
  });

  it('names a refused SASL authentication, the user and the variable the password came from', () => {
    const scram = loadRelayConfig({ KAFKA_BROKERS: 'kafka-0:9093', KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'relay', KAFKA_SASL_PASSWORD: 'p' }).kafka;
    const error = kafkajsError(
      'KafkaJSSASLAuthenticationError',
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    expect(kafkaAccessFailure(error, scram)).toEqual({
      kind: 'sasl_authentication',
      summary: 'SASL authentication failed',
      message:
        'SASL authentication failed at kafka-0:9093 (SCRAM-SHA-512 as user "relay"): SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512. ' +
        'Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and that KAFKA_SASL_MECHANISM is the one the listener expects',
    });
    const fromFile = { ...scram, sasl: { ...scram.sasl!, passwordVariable: 'KAFKA_SASL_PASSWORD_FILE' } };
    expect(kafkaAccessFailure(error, fromFile)?.message).toMatch(/Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE,/);
  });

  it('leaves other failures alone: an absent broker, or TLS codes without TLS', () => {
    const refused = retriesExceeded(kafkajsError('KafkaJSConnectionError', 'Connection error: connect ECONNREFUSED 127.0.0.1:9093', { code: 'ECONNREFUSED', broker: 'kafka-0:9093' }));
    expect(kafkaAccessFailure(refused, tls)).toBeUndefined();
    expect(kafkaAccessFailure(new Error('Connection timeout'), tls)).toBeUndefined();
    const plain = loadRelayConfig({ KAFKA_BROKERS: 'kafka-0:9092' }).kafka;
    expect(kafkaAccessFailure(kafkajsError('KafkaJSConnectionError', 'x', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), plain)).toBeUndefined();
  });
});
