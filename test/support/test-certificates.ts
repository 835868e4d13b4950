import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The paths of one PEM certificate and its unencrypted PKCS#8 key. */
export interface CertificateFiles {
  readonly cert: string;
  readonly key: string;
}

/**
 * Certificates for the TLS tests, made with the openssl command line into `dir`:
 * - `ca`: the CA that signs the broker and the client;
 * - `broker`: the broker's certificate, for 127.0.0.1 and localhost (subjectAltName), and
 *   `brokerKeystore`, its key and chain in one PEM file (Kafka's ssl.keystore.type=PEM);
 * - `client`: a client certificate (CN=relay) the CA signed, for mTLS;
 * - `otherCa` and `stranger`: an unrelated CA and a client certificate it signed, which
 *   nothing here trusts.
 * Elliptic-curve keys (P-256): made in milliseconds, and read by Node and by Kafka's PEM stores.
 */
export interface TestCertificates {
  readonly dir: string;
  readonly ca: CertificateFiles;
  readonly broker: CertificateFiles;
  readonly brokerKeystore: string;
  readonly client: CertificateFiles;
  readonly otherCa: CertificateFiles;
  readonly stranger: CertificateFiles;
}

export function makeTestCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true });
  const ca = authority(dir, 'ca', 'dropea-relay test CA');
  const otherCa = authority(dir, 'other-ca', 'an unrelated CA');
  const broker = leaf(dir, 'broker', 'localhost', ca, ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth,clientAuth']);
  const client = leaf(dir, 'client', 'relay', ca, ['extendedKeyUsage=clientAuth']);
  const stranger = leaf(dir, 'stranger', 'relay', otherCa, ['extendedKeyUsage=clientAuth']);
  const brokerKeystore = join(dir, 'broker-keystore.pem');
  writeFileSync(brokerKeystore, [broker.key, broker.cert, ca.cert].map((path) => readFileSync(path, 'utf8')).join(''));
  return { dir, ca, broker, brokerKeystore, client, otherCa, stranger };
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function privateKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

function authority(dir: string, name: string, commonName: string): CertificateFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  privateKey(files.key);
  openssl([
    'req', '-x509', '-new', '-key', files.key, '-out', files.cert, '-days', '2', '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return files;
}

function leaf(dir: string, name: string, commonName: string, issuer: CertificateFiles, extensions: readonly string[]): CertificateFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const request = join(dir, `${name}.csr`);
  const extensionFile = join(dir, `${name}.ext`);
  privateKey(files.key);
  openssl(['req', '-new', '-key', files.key, '-subj', `/CN=${commonName}`, '-out', request]);
  writeFileSync(extensionFile, ['basicConstraints=CA:FALSE', ...extensions, ''].join('\n'));
  openssl([
    'x509', '-req', '-in', request, '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial',
    '-out', files.cert, '-days', '2', '-extfile', extensionFile,
  ]);
  return files;
}
