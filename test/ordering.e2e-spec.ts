import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { post } from './support/http.js';
import { javaPartitions } from './support/java-partitioner.js';
import { KafkaReader } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';

const ENTITIES = 20;
const CHANGES = 10;

describe('per-key order and trace context', () => {
  const topics = uniqueTopics('ordering');
  let relay: RunningRelay;
  let reader: KafkaReader;

  beforeAll(async () => {
    relay = await startRelay({ ...topics, DROPEA_SIGNATURE_MODE: 'off' });
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!]);
  });

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  it(`keeps ${ENTITIES} entities × ${CHANGES} status changes in order per key, sent concurrently across entities`, async () => {
    const ids = Array.from({ length: ENTITIES }, (_, i) => 700_000 + i * 7919);
    const statusAt = (step: number): string => `step_${String(step).padStart(2, '0')}`;

    // Each entity sends its changes one after the other (the next once the last was
    // acknowledged, as Dropea would); the entities run at the same time.
    await Promise.all(
      ids.map(async (id) => {
        for (let step = 0; step < CHANGES; step++) {
          const body = JSON.stringify({
            topic: 'order:status_update',
            order_id: id,
            prev_status: step === 0 ? null : statusAt(step - 1),
            new_status: statusAt(step),
            updated_at: `2026-01-15 10:00:${String(step).padStart(2, '0')}`,
          });
          const reply = await post(`${relay.url}/webhooks/dropea/orders`, body);
          expect(reply.status).toBe(202);
        }
      }),
    );

    const records = await reader.waitFor(topics.KAFKA_TOPIC_ORDERS!, ENTITIES * CHANGES);
    expect(records).toHaveLength(ENTITIES * CHANGES);
    const partitions = await javaPartitions(6, ids.map(String));
    for (const id of ids) {
      const mine = records.filter((record) => record.key === String(id));
      // One partition per key, Java's, and within it the order the relay acknowledged.
      expect(new Set(mine.map((record) => record.partition))).toEqual(new Set([partitions.get(String(id))]));
      const offsets = mine.map((record) => BigInt(record.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(mine.map((record) => (record.value['data'] as { status: string }).status)).toEqual(
        Array.from({ length: CHANGES }, (_, step) => statusAt(step)),
      );
    }
  });

  it('copies W3C traceparent and tracestate from the request to the record headers', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const body = JSON.stringify({
      topic: 'incidence:status_update',
      incidence_id: 31337,
      prev_status: 'pending',
      new_status: 'client_managed',
      updated_at: '2026-03-29T02:30:00',
    });
    const reply = await post(`${relay.url}/webhooks/dropea`, body, { headers: { traceparent, tracestate: 'rojo=00f067aa0ba902b7' } });
    expect(reply.status).toBe(202);
    const [record] = await reader.waitFor(topics.KAFKA_TOPIC_INCIDENCES!, 1);
    expect(record?.headers).toMatchObject({ traceparent, tracestate: 'rojo=00f067aa0ba902b7', ce_id: reply.body['id'] });
    // The hour that does not exist in Madrid is read with the offset before the jump.
    expect(record?.value).toMatchObject({ time: '2026-03-29T01:30:00Z', data: { utc_offset: '+01:00' } });
  });

  it('publishes a storm of identical deliveries once: one 202, the others 200 duplicate', async () => {
    const body = JSON.stringify({
      topic: 'order:status_update',
      order_id: 4040404,
      prev_status: 'pending',
      new_status: 'confirmed',
      updated_at: '2026-05-01 09:00:00',
    });
    const replies = await Promise.all(Array.from({ length: 20 }, () => post(`${relay.url}/webhooks/dropea/orders`, body)));
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([...Array(19).fill(200), 202]);
    const id = replies.find((reply) => reply.status === 202)?.body['id'];
    for (const reply of replies) expect(reply.body['id']).toBe(id);
    expect(replies.filter((reply) => reply.status === 200).map((reply) => reply.body)).toEqual(Array(19).fill({ status: 'duplicate', id }));

    const later = await post(`${relay.url}/webhooks/dropea`, body);
    expect(later).toMatchObject({ status: 200, body: { status: 'duplicate', id } });
    await reader.waitFor(topics.KAFKA_TOPIC_ORDERS!, ENTITIES * CHANGES + 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reader.records.filter((record) => record.value['id'] === id)).toHaveLength(1);
  });
});
