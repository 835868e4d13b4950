import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { post } from './support/http.js';
import { createTopics, existingTopics } from './support/kafka-admin.js';
import { KafkaReader } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { orderBody } from './support/webhook-bodies.js';

/**
 * Topics owned by an operator (Strimzi KafkaTopic resources, say): KAFKA_CREATE_TOPICS=false.
 * The test broker auto-creates a topic whenever a client's metadata request asks for it, as
 * Kafka does by default, so these tests also show the relay never asks.
 */

interface Readiness {
  readonly status: number;
  readonly detail: string;
}

async function readiness(url: string): Promise<Readiness> {
  const response = await fetch(`${url}/health/ready`);
  const body = (await response.json()) as { detail?: string };
  return { status: response.status, detail: body.detail ?? '' };
}

/** Polls readiness until `done` holds (the relay reads the topics again at each probe). */
async function readinessUntil(url: string, done: (state: Readiness) => boolean, timeoutMs = 20_000): Promise<Readiness> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await readiness(url);
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`readiness still ${JSON.stringify(state)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('topics managed by an operator (KAFKA_CREATE_TOPICS=false)', () => {
  const topics = uniqueTopics('operator-topics');
  const { KAFKA_TOPIC_ORDERS: orders, KAFKA_TOPIC_INCIDENCES: incidences, KAFKA_TOPIC_DLQ: dlq } = topics;
  let relay: RunningRelay;

  beforeAll(async () => {
    relay = await startRelay({ ...topics, KAFKA_CREATE_TOPICS: 'false', DROPEA_SIGNATURE_MODE: 'off', PUBLISH_TIMEOUT_MS: '5000' }, { waitReady: false });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('is not ready while its topics are missing, names each with both fixes, answers webhooks at once, and creates none', async () => {
    const state = await readinessUntil(relay.url, ({ detail }) => detail.includes('does not exist'));
    expect(state.status).toBe(503);
    for (const [variable, topic] of [
      ['KAFKA_TOPIC_ORDERS', orders],
      ['KAFKA_TOPIC_INCIDENCES', incidences],
      ['KAFKA_TOPIC_DLQ', dlq],
    ]) {
      expect(state.detail).toContain(`${variable}: Topic ${topic} does not exist`);
    }
    expect(state.detail).toContain('KAFKA_CREATE_TOPICS=true');
    expect(state.detail).toContain('KafkaTopic');

    const started = Date.now();
    const reply = await post(`${relay.url}/webhooks/dropea/orders`, orderBody(5001));
    const waited = Date.now() - started;
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(reply.body).toMatchObject({ type: 'urn:dropea-relay:problem:topic-missing', title: 'Kafka topic does not exist' });
    expect(reply.body['detail']).toMatch(new RegExp(`Topic ${orders} does not exist: create it .* or set KAFKA_CREATE_TOPICS=true`));
    // At once, not after PUBLISH_TIMEOUT_MS (5 s).
    expect(waited).toBeLessThan(1500);

    // A body that breaks a rule is kept on the dead-letter topic, which is missing too.
    const invalid = await post(`${relay.url}/webhooks/dropea/orders`, orderBody(5001, { updated_at: 'yesterday' }));
    expect(invalid.status).toBe(503);
    expect(invalid.body['detail']).toContain(`Topic ${dlq} does not exist`);

    // The broker creates topics on request, yet none of them exists.
    expect(await existingTopics([orders, incidences, dlq])).toEqual([]);
  });

  it('names only what is still missing once the operator creates some, is ready once all exist, then publishes', async () => {
    await createTopics([{ topic: orders }, { topic: incidences }]);
    const partly = await readinessUntil(relay.url, ({ detail }) => !detail.includes(orders));
    expect(partly.status).toBe(503);
    expect(partly.detail).toBe(
      `KAFKA_TOPIC_DLQ: Topic ${dlq} does not exist: create it (a Strimzi KafkaTopic, or kafka-topics.sh --create), or set KAFKA_CREATE_TOPICS=true to let the relay create its topics`,
    );

    await createTopics([{ topic: dlq }]);
    expect((await readinessUntil(relay.url, ({ status }) => status === 200)).status).toBe(200);
    const reply = await post(`${relay.url}/webhooks/dropea/orders`, orderBody(5002));
    expect(reply).toMatchObject({ status: 202, body: { status: 'published', topic: orders } });
    const reader = await KafkaReader.start([orders]);
    try {
      const [record] = await reader.waitFor(orders, 1);
      expect(record!.value['id']).toBe(reply.body['id']);
    } finally {
      await reader.stop();
    }
  });
});

describe('Kafka that cannot be reached', () => {
  let relay: RunningRelay | undefined;

  afterEach(async () => {
    await relay?.close();
  });

  it("is not ready, saying Kafka's metadata cannot be read and where it looked", async () => {
    relay = await startRelay({ ...uniqueTopics('unreachable'), KAFKA_BROKERS: '127.0.0.1:1', DROPEA_SIGNATURE_MODE: 'off' }, { waitReady: false });
    const state = await readiness(relay.url);
    expect(state.status).toBe(503);
    expect(state.detail).toMatch(/^Kafka's metadata cannot be read at 127\.0\.0\.1:1: /);
  });
});
