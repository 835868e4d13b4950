import type { KafkaConfig } from '../config/kafka.config.js';

/**
 * Kafka answered, but would not let this relay in: the TLS handshake failed, the broker's
 * certificate was not trusted, or SASL authentication was refused. Unlike an absent broker,
 * waiting does not fix it; a setting does. Each failure names what failed, where, and the
 * setting to check.
 */
export interface KafkaAccessFailure {
  readonly kind: 'certificate_verification' | 'tls_handshake' | 'sasl_authentication';
  /** What failed, without addresses or settings: what a webhook's sender is told. */
  readonly summary: string;
  /** What failed, at which broker, why, and which setting to check: the log line and the readiness reason. */
  readonly message: string;
}

/**
 * Node's certificate verification errors (OpenSSL's X509_V_ERR_* names, and Node's own check
 * of the host name: https://nodejs.org/api/tls.html#x509-certificate-error-codes).
 */
const VERIFICATION_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * TLS alerts a broker sends when it refuses the client's certificate (RFC 8446 §6.2:
 * bad_certificate 42, unsupported_certificate 43, certificate_revoked 44,
 * certificate_expired 45, certificate_unknown 46, unknown_ca 48, access_denied 49,
 * certificate_required 116), as Node's OpenSSL names them in error codes.
 */
const CLIENT_CERTIFICATE_ALERT = /ALERT_(BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|UNKNOWN_CA|ACCESS_DENIED|CERTIFICATE_REQUIRED)$/;

interface ErrorFields {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly broker?: unknown;
  readonly message?: unknown;
}

/** The access failure behind `error` (kafkajs wraps it in retries), or undefined for any other failure. */
export function kafkaAccessFailure(error: unknown, config: KafkaConfig): KafkaAccessFailure | undefined {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    const fields = cause as ErrorFields;
    const failure = describe(fields, config);
    if (failure) return failure;
  }
  return undefined;
}

function describe(error: ErrorFields, config: KafkaConfig): KafkaAccessFailure | undefined {
  const broker = typeof error.broker === 'string' ? error.broker : config.brokers.join(',');
  const code = typeof error.code === 'string' ? error.code : '';
  const why = reason(error, code);
  if (error.name === 'KafkaJSSASLAuthenticationError') {
    const { mechanism, username, passwordVariable } = config.sasl ?? { mechanism: 'sasl', username: '', passwordVariable: 'KAFKA_SASL_PASSWORD' };
    return {
      kind: 'sasl_authentication',
      summary: 'SASL authentication failed',
      message:
        `SASL authentication failed at ${broker} (${mechanism.toUpperCase()} as user "${username}"): ${why}. ` +
        `Check KAFKA_SASL_USERNAME and ${passwordVariable}, and that KAFKA_SASL_MECHANISM is the one the listener expects`,
    };
  }
  if (!config.ssl) return undefined;
  if (VERIFICATION_CODES.has(code)) {
    const ca = config.sslFiles.ca;
    const check =
      code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH'
        ? `Check that the address in KAFKA_BROKERS is a name in the broker's certificate`
        : ca
          ? `Check that KAFKA_SSL_CA_FILE (${ca.path}) holds the CA that signs the brokers' certificates (Strimzi: ca.crt of <cluster>-cluster-ca-cert)`
          : "Set KAFKA_SSL_CA_FILE to the CA that signs the brokers' certificates (Strimzi: ca.crt of <cluster>-cluster-ca-cert)";
    return {
      kind: 'certificate_verification',
      summary: "TLS certificate verification of the broker failed",
      message: `TLS certificate verification failed: the broker at ${broker} presented a certificate this relay does not trust (${code}: ${why}). ${check}`,
    };
  }
  if (CLIENT_CERTIFICATE_ALERT.test(code)) {
    const client = config.sslFiles.client;
    const check = client
      ? `Check KAFKA_SSL_CERT_FILE (${client.cert.path}) and KAFKA_SSL_KEY_FILE (${client.key.path}): the listener requires a client certificate signed by a CA it trusts (Strimzi: user.crt and user.key of the KafkaUser's Secret)`
      : "The listener requires a client certificate (mTLS): set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE (Strimzi: user.crt and user.key of the KafkaUser's Secret)";
    return {
      kind: 'tls_handshake',
      summary: "TLS handshake failed: the broker refused the relay's client certificate",
      message: `TLS handshake failed: the broker at ${broker} refused this relay's client certificate (${code}: ${why}). ${check}`,
    };
  }
  if (code.startsWith('ERR_SSL_') || /before secure TLS connection was established/.test(why)) {
    return {
      kind: 'tls_handshake',
      summary: 'TLS handshake failed',
      message: `TLS handshake failed at ${broker} (${code || 'no code'}: ${why}). Check that KAFKA_BROKERS names a TLS listener (KAFKA_SSL=true), and the KAFKA_SSL_*_FILE settings`,
    };
  }
  return undefined;
}

/**
 * The error's own words, without kafkajs's prefix and OpenSSL's source location
 * ("…:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/…" → "sslv3 alert bad certificate").
 */
function reason(error: ErrorFields, code: string): string {
  const message = String(error.message ?? code)
    .replace(/^(Connection error|Failed to connect): /, '')
    .trim();
  return /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message;
}
