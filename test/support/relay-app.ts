import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { loadRelayConfig, type RelayConfig } from '../../src/config/relay-config.js';
import { createApp } from '../../src/configure-app.js';
import { TEST_BROKER } from './test-broker.mjs';

export interface RunningRelay {
  readonly app: NestFastifyApplication;
  readonly url: string;
  readonly config: RelayConfig;
  close(): Promise<void>;
}

/** Topic names of their own for one suite, so what a suite reads back is only what it sent. */
export function uniqueTopics(suite: string): { KAFKA_TOPIC_ORDERS: string; KAFKA_TOPIC_INCIDENCES: string; KAFKA_TOPIC_DLQ: string } {
  const run = `${suite}.${randomUUID().slice(0, 8)}`;
  return {
    KAFKA_TOPIC_ORDERS: `e2e.${run}.orders`,
    KAFKA_TOPIC_INCIDENCES: `e2e.${run}.incidences`,
    KAFKA_TOPIC_DLQ: `e2e.${run}.dlq`,
  };
}

/**
 * The real relay, built as main.ts builds it, listening on a free port and connected to the
 * test broker; resolves once `/health/ready` says Kafka is reachable and the topics exist
 * (unless `waitReady` is false).
 */
export async function startRelay(env: Record<string, string>, { waitReady = true } = {}): Promise<RunningRelay> {
  const config = loadRelayConfig({
    KAFKA_BROKERS: TEST_BROKER,
    KAFKA_CREATE_TOPICS: 'true',
    LOG_LEVEL: 'error',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  if (waitReady) await waitUntilReady(url);
  return { app, url, config, close: () => app.close() };
}

export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (response?.status === 200) return;
    await response?.body?.cancel();
    if (Date.now() > deadline) throw new Error(`relay at ${url} not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
