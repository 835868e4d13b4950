import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDelivery } from './support/delivery-check.js';
import { createTopics, withAdmin } from './support/kafka-admin.js';
import { post } from './support/http.js';
import { KafkaLink } from './support/kafka-link.js';
import { KafkaReader } from './support/kafka-reader.js';
import { parseExposition } from './support/prometheus-text.js';
import { uniqueTopics, waitUntilReady } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';
import { changeBody, type Sent } from './support/steady-load.js';

/**
 * The spool (SPOOL_DIR) as it fails in production: a drain that Kafka interrupts half-way, and a
 * second relay started on a directory already in use, each relay PID 1 in its own PID namespace
 * as in a pod.
 */

const KEYS = [620_001, 620_002, 620_003, 620_004, 620_005];

/** Change `seq` of `key`, about 2.3 KB as an envelope: a handful fill one 16 KiB produce request. */
function largeChange(key: number, seq: number): string {
  return JSON.stringify({ ...(JSON.parse(changeBody(key, seq)) as object), note: 'n'.repeat(2000) });
}

/** `unshare` with a user and a PID namespace of its own, or why it cannot be had here. */
function pidNamespaces(): { wrap: string[] } | { unavailable: string } {
  const probe = spawnSync('unshare', ['-Urpf', '--mount-proc', 'true'], { encoding: 'utf8' });
  if (probe.status === 0) return { wrap: ['unshare', '-Urpf', '--mount-proc', '--kill-child', 'sh', '-c', 'echo "pid in its namespace: $$"; exec "$0" "$@"'] };
  return { unavailable: probe.error?.message ?? probe.stderr.trim() };
}

describe('the spool', () => {
  let relays: RelayProcess[] = [];
  let link: KafkaLink | undefined;
  const dirs: string[] = [];

  const spoolDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'relay-spool-'));
    dirs.push(dir);
    return dir;
  };

  afterEach(async () => {
    for (const relay of relays) await relay.kill('SIGKILL');
    relays = [];
    await link?.close();
    link = undefined;
  });

  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('drains in order when Kafka fails it half-way: nothing acknowledged is lost, no entity is reordered', async () => {
    const topics = uniqueTopics('spool-drain-split');
    link = await KafkaLink.open();
    // The relay creates its topics, then loses Kafka.
    const relay = await RelayProcess.start({
      ...topics,
      KAFKA_BROKERS: KafkaLink.brokers,
      PUBLISH_TIMEOUT_MS: '1000',
      KAFKA_BATCH_MAX_BYTES: '16384',
      SPOOL_DIR: await spoolDir(),
    });
    relays.push(relay);
    link.cut();

    const sent: Sent[] = [];
    for (let seq = 1; seq <= 40; seq++) {
      await Promise.all(
        KEYS.map(async (key) => {
          const reply = await post(`${relay.url}/webhooks/dropea/orders`, largeChange(key, seq));
          sent.push({ key, seq, status: reply.status, answer: String(reply.body['status']), id: reply.body['id'] as string, at: Date.now() });
        }),
      );
    }
    expect(sent.filter((s) => s.answer === 'spooled')).toHaveLength(200);

    // Kafka is back for three produce requests of the drain, then refuses them for 12 s: longer
    // than kafkajs goes on retrying one request (about 8 s), so the drain sees it fail.
    link.interruptProduce({ after: 3, forMs: 12_000 });
    link.restore();
    await waitUntilReady(relay.url, 90_000);
    expect(link.interrupted).toBeGreaterThan(0);
    expect(relay.logs).toContain('Draining the spool failed, retrying');

    const reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS]);
    try {
      await reader.waitForAll(topics.KAFKA_TOPIC_ORDERS, sent.map((s) => s.id!), (record) => String(record.value['id']));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const figures = checkDelivery(sent, reader.records);
      process.stdout.write(`spool drain interrupted half-way: ${JSON.stringify({ ...figures, interruptedRequests: link.interrupted })}\n`);
      expect(figures).toMatchObject({ accepted: 200, lost: 0, orderViolations: 0 });
    } finally {
      await reader.stop();
    }
  });

  it('lets one relay at a time use a directory, each PID 1 in its own PID namespace: the second exits non-zero, naming why', async () => {
    const namespaces = pidNamespaces();
    const wrap = 'wrap' in namespaces ? namespaces.wrap : [];
    if ('unavailable' in namespaces) {
      // Still two processes on one directory; only the namespaces are missing.
      process.stdout.write(`PID namespaces are not available here (${namespaces.unavailable}): the relays run as ordinary processes\n`);
    }
    const topics = uniqueTopics('spool-lock');
    const env = { ...topics, SPOOL_DIR: await spoolDir() };
    const first = await RelayProcess.start(env, { wrap });
    relays.push(first);

    const second = await RelayProcess.start(env, { wrap }).then(
      (relay) => {
        relays.push(relay);
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(second).toMatch(/relay exited with 75 before listening/);
    expect(second).toMatch(/The spool .*spool\.sqlite is in use by another relay process .*every relay needs a SPOOL_DIR of its own/);
    if ('wrap' in namespaces) {
      // Both were PID 1, as in two pods: a pid file could not tell them apart.
      expect(first.logs).toContain('pid in its namespace: 1');
      expect(second).toContain('pid in its namespace: 1');
    }
    // The first keeps serving.
    expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
    expect((await post(`${first.url}/webhooks/dropea/orders`, changeBody(KEYS[0]!, 1))).status).toBe(202);

    // Killed (kill -9), the first holds nothing any more: the kernel released its lock.
    await first.kill('SIGKILL');
    relays = [];
    const third = await RelayProcess.start(env, { wrap });
    relays.push(third);
    expect((await post(`${third.url}/webhooks/dropea/orders`, changeBody(KEYS[0]!, 2))).body['status']).toBe('published');
  });

  it('says so when its drain cannot go on (its topic is gone): readiness names the stall, a metric turns 1, the log says it once; it drains once the topic is back', async () => {
    const topics = uniqueTopics('spool-stall');
    await createTopics([{ topic: topics.KAFKA_TOPIC_ORDERS }, { topic: topics.KAFKA_TOPIC_INCIDENCES }, { topic: topics.KAFKA_TOPIC_DLQ }]);
    link = await KafkaLink.open();
    const relay = await RelayProcess.start({
      ...topics,
      KAFKA_BROKERS: KafkaLink.brokers,
      KAFKA_CREATE_TOPICS: 'false',
      PUBLISH_TIMEOUT_MS: '500',
      SPOOL_STALL_SECONDS: '2',
      SPOOL_DIR: await spoolDir(),
    });
    relays.push(relay);
    link.cut();
    const sent: Sent[] = [];
    for (let seq = 1; seq <= 3; seq++) {
      const reply = await post(`${relay.url}/webhooks/dropea/orders`, changeBody(KEYS[0]!, seq));
      sent.push({ key: KEYS[0]!, seq, status: reply.status, answer: String(reply.body['status']), id: reply.body['id'] as string, at: Date.now() });
    }
    expect(sent.map((s) => s.answer)).toEqual(['spooled', 'spooled', 'spooled']);

    // Whoever owns the topics deletes the orders topic while the relay holds records for it.
    await withAdmin((admin) => admin.deleteTopics({ topics: [topics.KAFKA_TOPIC_ORDERS] }));
    link.restore();
    const stalled = async (): Promise<string> => {
      const response = await fetch(`${relay.url}/health/ready`);
      return response.status === 503 ? ((await response.json()) as { detail: string }).detail : '';
    };
    const metric = async (name: string): Promise<number | undefined> =>
      parseExposition(await (await fetch(`${relay.url}/metrics`)).text()).value(name);
    const stall = new RegExp(
      `The spool holds 3 record\\(s\\) for Kafka, the oldest \\d+ s old, and its drain has made no progress for \\d+ s \\(SPOOL_STALL_SECONDS\\): Topic ${topics.KAFKA_TOPIC_ORDERS} does not exist`,
    );
    // The first attempt may still be waiting for Kafka's answer when the stall begins; the
    // detail names the cause once an attempt has failed.
    for (const deadline = Date.now() + 30_000; !stall.test(await stalled()); ) {
      if (Date.now() > deadline) throw new Error(`never stalled on the missing topic: ${await stalled()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await metric('dropea_relay_spool_stalled')).toBe(1);
    expect(await metric('dropea_relay_spool_records')).toBe(3);
    expect(await metric('dropea_relay_spool_oldest_age_seconds')).toBeGreaterThan(1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(relay.logs.match(/The spool's drain has made no progress/g)).toHaveLength(1);

    // The topic is back: the drain goes on, in order, and says so.
    await createTopics([{ topic: topics.KAFKA_TOPIC_ORDERS }]);
    await waitUntilReady(relay.url, 30_000);
    expect(relay.logs).toContain('The spool drains again');
    expect(await metric('dropea_relay_spool_stalled')).toBe(0);
    const reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS]);
    try {
      await reader.waitForAll(topics.KAFKA_TOPIC_ORDERS, sent.map((s) => s.id!), (record) => String(record.value['id']));
      expect(checkDelivery(sent, reader.records)).toMatchObject({ accepted: 3, lost: 0, orderViolations: 0 });
    } finally {
      await reader.stop();
    }
  });
});
