import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { envelopeOf } from './support/envelopes.js';
import { post, sign, type Reply } from './support/http.js';
import { KafkaReader } from './support/kafka-reader.js';
import { jsonLogLines } from './support/log-lines.js';
import { uniqueTopics } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';
import { runProcess } from './support/run-process.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';
import { orderBody } from './support/webhook-bodies.js';

/**
 * The Kafka security a Strimzi cluster expects, against a real broker of this file's own
 * (scripts/kafka, not the shared test broker), with one listener per way in:
 * - 49094 `SSL`: TLS, the broker's certificate signed by a CA of this test (KAFKA_SSL_CA_FILE);
 * - 49095 `MTLS`: TLS with ssl.client.auth=required (Strimzi's `tls` authentication:
 *   KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE);
 * - 49096 `SASL_SSL`: SCRAM-SHA-512 over TLS (Strimzi's `scram-sha-512` authentication), the
 *   password in a file as a mounted Secret gives it (KAFKA_SASL_PASSWORD_FILE);
 * - 49092 PLAINTEXT and 49093 CONTROLLER for the broker itself and for reading records back.
 * Each working setting publishes a signed webhook (its key from DROPEA_API_KEYS_FILE) and the
 * record is read back; each wrong one leaves the relay alive, not ready, naming what failed,
 * and answering webhooks 503 at once. The relay runs as `node dist/main.js`, as a pod runs it.
 */

const PORT = { plaintext: 49092, controller: 49093, tls: 49094, mtls: 49095, scram: 49096 } as const;
const PLAINTEXT = `127.0.0.1:${PORT.plaintext}`;
const ORDERS = '/webhooks/dropea/orders';
const KEY = 'kafka-security-key';
const SCRAM_USER = 'relay';
const SCRAM_PASSWORD = `scram-${randomUUID()}`;
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const CONSUME = fileURLToPath(new URL('../dist/cli/consume/main.js', import.meta.url));
const SCRIPTS = fileURLToPath(new URL('../scripts/kafka/', import.meta.url));
const run = promisify(execFile);

let dir: string;
let certs: TestCertificates;
let brokerEnv: NodeJS.ProcessEnv;
let brokerStarted = false;
const relays = new Set<RelayProcess>();
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** The listeners, and the PEM key and trust stores Kafka reads (https://kafka.apache.org/documentation/#security_ssl). */
function brokerProperties(): string {
  const listeners = `PLAINTEXT://${PLAINTEXT},CONTROLLER://127.0.0.1:${PORT.controller},SSL://127.0.0.1:${PORT.tls},MTLS://127.0.0.1:${PORT.mtls},SASL_SSL://127.0.0.1:${PORT.scram}`;
  return [
    `listeners=${listeners}`,
    `advertised.listeners=${listeners}`,
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL',
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${certs.brokerKeystore}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${certs.ca.cert}`,
    'listener.name.mtls.ssl.client.auth=required',
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    '',
  ].join('\n');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-security-'));
  certs = makeTestCertificates(join(dir, 'tls'));
  brokerEnv = {
    ...process.env,
    KAFKA_LOCAL_PORT: String(PORT.plaintext),
    KAFKA_LOCAL_CONTROLLER_PORT: String(PORT.controller),
    KAFKA_LOCAL_DIR: join(dir, 'kafka'),
    KAFKA_LOCAL_EXTRA_PROPERTIES: file('broker.properties', brokerProperties()),
    // SCRAM users of a KRaft cluster exist from the storage format on (scripts/kafka/README.md).
    KAFKA_LOCAL_SCRAM_CREDENTIALS: `SCRAM-SHA-512=[name=${SCRAM_USER},password=${SCRAM_PASSWORD}]`,
  };
  brokerStarted = true;
  await run('bash', [`${SCRIPTS}start.sh`], { env: brokerEnv, maxBuffer: 16 * 1024 * 1024 });
}, 120_000);

afterAll(async () => {
  await Promise.all([...relays].map((relay) => relay.kill('SIGTERM')));
  if (brokerStarted) await run('bash', [`${SCRIPTS}stop.sh`], { env: brokerEnv });
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The relay against one listener; its webhook keys come from a file, one a line and comma-separated. */
async function startRelay(env: Record<string, string>, { waitReady = true } = {}): Promise<RelayProcess> {
  const relay = await RelayProcess.start(
    {
      ...uniqueTopics('kafka-security'),
      KAFKA_TOPIC_PARTITIONS: '1',
      DROPEA_API_KEYS_FILE: file('api-keys', `an-older-key\n${KEY},a-newer-key\n`),
      ...env,
    },
    { waitReady },
  );
  relays.add(relay);
  return relay;
}

async function stop(relay: RelayProcess): Promise<void> {
  expect(await relay.kill('SIGTERM')).toBe(0);
  relays.delete(relay);
}

function send(relay: RelayProcess, id: number): Promise<Reply> {
  const body = orderBody(id);
  return post(`${relay.url}${ORDERS}`, body, { headers: { 'x-dropea-hmac-sha256': sign(body, KEY) } });
}

/** A signed webhook is accepted (202 after Kafka's ack) and its record is on the orders topic: key and envelope. Resolves with the order id. */
async function publishes(relay: RelayProcess, env: Record<string, string>): Promise<number> {
  const id = 700_000 + Math.floor(Math.random() * 100_000);
  const orders = env['KAFKA_TOPIC_ORDERS']!;
  const reader = await KafkaReader.start([orders], [PLAINTEXT]);
  try {
    expect((await send(relay, id)).status).toBe(202);
    const [record] = await reader.waitFor(orders, 1);
    const expected = envelopeOf(orderBody(id));
    expect(record!.key).toBe(String(id));
    const receivedAt = (record!.value['data'] as { received_at?: string }).received_at;
    expect(record!.value).toEqual({ ...expected, data: { ...expected.data, received_at: receivedAt } });
    return id;
  } finally {
    await reader.stop();
  }
}

/** /health/ready once it has a reason: 503, problem+json, the reason in `detail`. */
async function notReadyReason(relay: RelayProcess, reason: RegExp): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${relay.url}/health/ready`);
    const body = (await response.json()) as Record<string, unknown>;
    if (reason.test(String(body['detail']))) {
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return body;
    }
    if (Date.now() > deadline) throw new Error(`/health/ready never gave ${reason}; last: ${response.status} ${JSON.stringify(body)}\n${relay.logs}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * What a refused relay does: stays alive (liveness 200), not ready with `reason`, logs it once
 * at ERROR, answers a webhook 503 kafka-unavailable at once, not after PUBLISH_TIMEOUT_MS, and
 * still stops cleanly on SIGTERM.
 */
async function isRefused(env: Record<string, string>, reason: RegExp, summary: string): Promise<void> {
  // A short PUBLISH_TIMEOUT_MS: the answer below must come sooner still, and shutdown waits at
  // most that long for the reading under way.
  const relay = await startRelay({ PUBLISH_TIMEOUT_MS: '2000', ...env }, { waitReady: false });
  const ready = await notReadyReason(relay, reason);
  expect(ready['detail']).toMatch(/^Kafka refuses this relay's connection: /);

  const errors = jsonLogLines<{ level: string; msg?: string }>(relay.logs).filter((line) => line.msg?.startsWith("Kafka refuses this relay's connection: "));
  expect(errors.map((line) => line.level)).toEqual(['error']);
  expect(errors.map((line) => line.msg)).toEqual([expect.stringMatching(reason)]);

  expect((await fetch(`${relay.url}/health/live`)).status).toBe(200);
  const started = performance.now();
  const reply = await send(relay, 1);
  // Answered because Kafka refuses the relay, not because PUBLISH_TIMEOUT_MS (2 s) ran out: the
  // detail below names the refusal.
  expect(performance.now() - started).toBeLessThan(2000);
  expect(reply.status).toBe(503);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status: 503, type: expect.stringMatching(/kafka-unavailable$/) });
  expect(reply.body['detail']).toContain(summary);
  await stop(relay);
}

describe('TLS with KAFKA_SSL_CA_FILE', () => {
  it('publishes through a TLS listener whose certificate the CA file vouches for', async () => {
    const env = { ...uniqueTopics('kafka-security'), KAFKA_BROKERS: `127.0.0.1:${PORT.tls}`, KAFKA_SSL_CA_FILE: certs.ca.cert };
    const relay = await startRelay(env);
    await publishes(relay, env);
    await stop(relay);
  });

  it('with a CA that did not sign the broker: alive, not ready, naming certificate verification, the broker and the CA file', async () => {
    const reason = new RegExp(
      `TLS certificate verification failed: the broker at 127\\.0\\.0\\.1:${PORT.tls} presented a certificate this relay does not trust .*Check that KAFKA_SSL_CA_FILE \\(${certs.otherCa.cert}\\)`,
    );
    await isRefused({ KAFKA_BROKERS: `127.0.0.1:${PORT.tls}`, KAFKA_SSL_CA_FILE: certs.otherCa.cert }, reason, 'TLS certificate verification of the broker failed');
  });

  it('stops the start with exit 78 naming the variable and the path when the CA file is missing or not PEM', async () => {
    const missing = join(dir, 'no-such-ca.crt');
    const notPem = file('not-a-ca.crt', 'not a certificate\n');
    const env = { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: '0', KAFKA_BROKERS: `127.0.0.1:${PORT.tls}` };
    const gone = await runProcess(process.execPath, [MAIN], { ...env, KAFKA_SSL_CA_FILE: missing });
    expect(gone.code).toBe(78);
    expect(gone.stderr).toContain(`KAFKA_SSL_CA_FILE names ${missing}, which does not exist`);
    const garbage = await runProcess(process.execPath, [MAIN], { ...env, KAFKA_SSL_CA_FILE: notPem });
    expect(garbage.code).toBe(78);
    expect(garbage.stderr).toContain(`KAFKA_SSL_CA_FILE names ${notPem}, which holds no PEM certificate`);
  });
});

describe('mTLS with KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE', () => {
  const mtls = (): Record<string, string> => ({ KAFKA_BROKERS: `127.0.0.1:${PORT.mtls}`, KAFKA_SSL_CA_FILE: certs.ca.cert });

  it('publishes through a listener that requires a client certificate', async () => {
    const env = { ...uniqueTopics('kafka-security'), ...mtls(), KAFKA_SSL_CERT_FILE: certs.client.cert, KAFKA_SSL_KEY_FILE: certs.client.key };
    const relay = await startRelay(env);
    await publishes(relay, env);
    await stop(relay);
  });

  it('without a client certificate: alive, not ready, naming the TLS handshake, the broker and the settings to set', async () => {
    const reason = new RegExp(
      `TLS handshake failed: the broker at 127\\.0\\.0\\.1:${PORT.mtls} refused this relay's client certificate .*set KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE`,
    );
    await isRefused(mtls(), reason, "TLS handshake failed: the broker refused the relay's client certificate");
  });

  it('with a client certificate the broker does not trust: the same, naming the files to check', async () => {
    const reason = new RegExp(
      `TLS handshake failed: the broker at 127\\.0\\.0\\.1:${PORT.mtls} refused this relay's client certificate .*Check KAFKA_SSL_CERT_FILE \\(${certs.stranger.cert}\\) and KAFKA_SSL_KEY_FILE \\(${certs.stranger.key}\\)`,
    );
    await isRefused(
      { ...mtls(), KAFKA_SSL_CERT_FILE: certs.stranger.cert, KAFKA_SSL_KEY_FILE: certs.stranger.key },
      reason,
      "TLS handshake failed: the broker refused the relay's client certificate",
    );
  });
});

describe('SCRAM-SHA-512 over TLS with KAFKA_SASL_PASSWORD_FILE', () => {
  const scram = (password: string): Record<string, string> => ({
    KAFKA_BROKERS: `127.0.0.1:${PORT.scram}`,
    KAFKA_SSL_CA_FILE: certs.ca.cert,
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: SCRAM_USER,
    // As a mounted Secret holds it, or as `echo` writes it (a trailing line break).
    KAFKA_SASL_PASSWORD_FILE: file(`password-${randomUUID()}`, `${password}\n`),
  });

  it('publishes, and the consume tool reads the record back over the same listener with the same settings', async () => {
    const env = { ...uniqueTopics('kafka-security'), ...scram(SCRAM_PASSWORD) };
    const relay = await startRelay(env);
    const id = await publishes(relay, env);
    await stop(relay);

    const consume = await runProcess(process.execPath, [CONSUME, '--topic', 'orders', '--from-beginning', '--max', '1', '--json'], env);
    expect(consume.code).toBe(0);
    const [line] = consume.stdout.split('\n').filter((text) => text !== '');
    expect(JSON.parse(line!)).toMatchObject({ kind: 'event', topic: env.KAFKA_TOPIC_ORDERS, key: String(id) });
  });

  it('with a wrong password: alive, not ready, naming SASL authentication, the broker, the user and the password file', async () => {
    const reason = new RegExp(
      `SASL authentication failed at 127\\.0\\.0\\.1:${PORT.scram} \\(SCRAM-SHA-512 as user "${SCRAM_USER}"\\): .*Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE`,
    );
    await isRefused(scram('not-the-password'), reason, 'SASL authentication failed');
  });
});
