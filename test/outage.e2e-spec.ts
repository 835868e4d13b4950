import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { post } from './support/http.js';
import { KafkaReader } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { brokerIsUp, startBroker, stopBroker } from './support/test-broker.mjs';

const PUBLISH_TIMEOUT_MS = 2000;

const change = (step: number): string =>
  JSON.stringify({
    topic: 'incidence:status_update',
    incidence_id: 424242,
    prev_status: `before_${step}`,
    new_status: `after_${step}`,
    updated_at: `2026-02-01 12:00:${String(step).padStart(2, '0')}`,
  });

describe('broker outage', () => {
  const topics = uniqueTopics('outage');
  let relay: RunningRelay;

  beforeAll(async () => {
    relay = await startRelay({ ...topics, DROPEA_SIGNATURE_MODE: 'off', PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS) });
  });

  afterAll(async () => {
    await relay?.close();
    if (!(await brokerIsUp())) await startBroker();
  });

  it('answers 503 with Retry-After while the broker is down, and 202 again once it is back, in the same process', async () => {
    const incidences = `${relay.url}/webhooks/dropea/incidences`;
    const before = await post(incidences, change(1));
    expect(before.status).toBe(202);

    await stopBroker();
    const startedAt = Date.now();
    const during = await post(incidences, change(2));
    const waited = Date.now() - startedAt;
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(during.body).toMatchObject({ status: 503, type: 'urn:dropea-relay:problem:kafka-unavailable' });
    // Answered at the deadline, not after kafkajs's own retries (allowing for a loaded machine).
    expect(waited).toBeLessThan(PUBLISH_TIMEOUT_MS + 1500);
    expect((await fetch(`${relay.url}/health/ready`)).status).toBe(503);
    expect((await fetch(`${relay.url}/health/live`)).status).toBe(200);

    await startBroker();
    let after = await post(incidences, change(3));
    for (let attempt = 0; after.status !== 202 && attempt < 60; attempt++) {
      expect(after.status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      after = await post(incidences, change(3));
    }
    expect(after.status).toBe(202);
    expect((await fetch(`${relay.url}/health/ready`)).status).toBe(200);
    // A publish that failed is not remembered as published: the sender's retry publishes.
    const retried = await post(incidences, change(2));
    expect(retried).toMatchObject({ status: 202, body: { status: 'published' } });

    // Every 202 is in Kafka; the 503 may or may not be (at-least-once), never required.
    const reader = await KafkaReader.start([topics.KAFKA_TOPIC_INCIDENCES!]);
    try {
      const records = await reader.waitFor(topics.KAFKA_TOPIC_INCIDENCES!, 2);
      const ids = records.map((record) => record.value['id']);
      expect(ids).toContain(before.body['id']);
      expect(ids).toContain(after.body['id']);
    } finally {
      await reader.stop();
    }
  });
});
