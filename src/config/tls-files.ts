import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { EnvReader, FileText } from './env-reader.js';

/** A PEM file read at start: the variable that named it, its path, and its text. */
export type PemFile = FileText;

/**
 * The PEM files of the relay's TLS connections to Kafka, as Strimzi's Secrets hold them:
 * `ca.crt` of `<cluster>-cluster-ca-cert`, and `user.crt` / `user.key` of a KafkaUser with
 * `tls` authentication (https://strimzi.io/docs/operators/latest/deploying).
 */
export interface SslFiles {
  /** KAFKA_SSL_CA_FILE: the CAs the brokers' certificates are checked against, instead of Node's own. */
  readonly ca?: PemFile;
  /** KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: the client certificate (chain) and its key, for mTLS. */
  readonly client?: { readonly cert: PemFile; readonly key: PemFile };
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Reads and checks the files at start, so a wrong one stops the start naming its variable
 * and path rather than failing each TLS handshake later. A problem never quotes a file's
 * content (a key is a secret).
 */
export function readSslFiles(env: EnvReader): SslFiles {
  const caFile = env.file('KAFKA_SSL_CA_FILE');
  const ca = certificates(env, caFile, "the CA certificate(s) that sign the brokers' certificates");
  const certFile = env.file('KAFKA_SSL_CERT_FILE');
  const keyFile = env.file('KAFKA_SSL_KEY_FILE');
  const chain = certificates(env, certFile, 'the client certificate');
  const key = privateKey(env, keyFile);
  // Checked on the names, so that an unreadable file is reported once, not again as missing.
  const certSet = env.raw('KAFKA_SSL_CERT_FILE') !== undefined;
  const keySet = env.raw('KAFKA_SSL_KEY_FILE') !== undefined;
  if (certSet && !keySet) env.fail('KAFKA_SSL_KEY_FILE', 'must be set with KAFKA_SSL_CERT_FILE: the private key of the client certificate', undefined);
  if (keySet && !certSet) env.fail('KAFKA_SSL_CERT_FILE', 'must be set with KAFKA_SSL_KEY_FILE: the client certificate of that private key', undefined);
  if (chain && key && keyFile && certFile && !chain[0]!.checkPrivateKey(key)) {
    env.fail('KAFKA_SSL_KEY_FILE', `names ${keyFile.path}, whose key is not the one of the certificate in KAFKA_SSL_CERT_FILE (${certFile.path})`, undefined);
  }
  return {
    ...(ca && caFile ? { ca: caFile } : {}),
    ...(chain && key && certFile && keyFile ? { client: { cert: certFile, key: keyFile } } : {}),
  };
}

/** The certificates of a PEM file, the first one first; undefined (and a problem) when it holds none that parse. */
function certificates(env: EnvReader, file: PemFile | undefined, what: string): X509Certificate[] | undefined {
  if (file === undefined) return undefined;
  const blocks = file.text.match(CERTIFICATE) ?? [];
  if (blocks.length === 0) return env.fail(file.variable, `names ${file.path}, which holds no PEM certificate (-----BEGIN CERTIFICATE-----); it must hold ${what}`, undefined);
  const parsed: X509Certificate[] = [];
  for (const [index, block] of blocks.entries()) {
    try {
      parsed.push(new X509Certificate(block));
    } catch {
      return env.fail(file.variable, `names ${file.path}, whose certificate #${index + 1} is not a valid X.509 certificate`, undefined);
    }
  }
  return parsed;
}

function privateKey(env: EnvReader, file: PemFile | undefined): KeyObject | undefined {
  if (file === undefined) return undefined;
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(file.text)) {
    return env.fail(file.variable, `names ${file.path}, which holds no PEM private key (-----BEGIN PRIVATE KEY-----)`, undefined);
  }
  try {
    return createPrivateKey(file.text);
  } catch (error) {
    const encrypted = (error as NodeJS.ErrnoException)?.code === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED/.test(file.text);
    return env.fail(
      file.variable,
      encrypted
        ? `names ${file.path}, whose private key is encrypted; give it unencrypted (as Strimzi's user.key is)`
        : `names ${file.path}, whose private key cannot be read as PEM`,
      undefined,
    );
  }
}

