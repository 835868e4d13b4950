// The real single-node Kafka broker the end-to-end tests run against: the project's own
// scripts/kafka, on ports of its own so that a developer's broker on 9092 is never touched (the
// outage tests stop and restart this one). Plain JavaScript because Jest's global setup loads it
// untransformed.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const TEST_BROKER_PORT = Number(process.env.TEST_KAFKA_PORT ?? 39092);
export const TEST_BROKER = `127.0.0.1:${TEST_BROKER_PORT}`;

/**
 * A second client listener whose advertised address is a TCP proxy the tests own
 * (test/support/kafka-link.ts): a client bootstrapped there reaches the broker only through the
 * proxy, metadata included, so cutting the proxy takes Kafka away from that client alone.
 */
export const PROXIED_LISTENER_PORT = TEST_BROKER_PORT + 2;
export const PROXIED_BROKER_PORT = TEST_BROKER_PORT + 3;
export const PROXIED_BROKER = `127.0.0.1:${PROXIED_BROKER_PORT}`;

const run = promisify(execFile);
const scripts = fileURLToPath(new URL('../../scripts/kafka/', import.meta.url));
const extraProperties = fileURLToPath(new URL(`../../.kafka/test-broker-${TEST_BROKER_PORT}.properties`, import.meta.url));
const env = {
  ...process.env,
  KAFKA_LOCAL_PORT: String(TEST_BROKER_PORT),
  KAFKA_LOCAL_CONTROLLER_PORT: String(TEST_BROKER_PORT + 1),
  KAFKA_LOCAL_EXTRA_PROPERTIES: extraProperties,
};

// Kafka's own default, as on most clusters: a Metadata request that asks for it creates a
// missing topic, which the relay must never ask for when KAFKA_CREATE_TOPICS=false.
const EXTRA_PROPERTIES = `auto.create.topics.enable=true
listeners=PLAINTEXT://127.0.0.1:${TEST_BROKER_PORT},CONTROLLER://127.0.0.1:${TEST_BROKER_PORT + 1},PROXIED://127.0.0.1:${PROXIED_LISTENER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${TEST_BROKER_PORT},CONTROLLER://127.0.0.1:${TEST_BROKER_PORT + 1},PROXIED://${PROXIED_BROKER}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT
`;

function writeExtraProperties() {
  mkdirSync(fileURLToPath(new URL('../../.kafka/', import.meta.url)), { recursive: true });
  writeFileSync(extraProperties, EXTRA_PROPERTIES);
}

/** Starts the broker (or reuses the one already running on the test port). */
export async function startBroker() {
  writeExtraProperties();
  await run('bash', [`${scripts}start.sh`], { env, maxBuffer: 16 * 1024 * 1024 });
}

/** Stops the broker: SIGTERM and wait, or SIGKILL with `kill: true` (a crash). */
export async function stopBroker({ kill = false } = {}) {
  await run('bash', [`${scripts}stop.sh`, ...(kill ? ['--kill'] : [])], { env });
}

/** Whether something accepts connections on the test port (the broker opens it once it serves). */
export function brokerIsUp() {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port: TEST_BROKER_PORT });
    const done = (up) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
