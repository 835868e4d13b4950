// After the load: reads the relay's topics back from the beginning and checks the two promises
// that a faster publisher must keep:
//   - every request answered 202 is in Kafka (found by its CloudEvent id), and
//   - per record key, the k of the acknowledged records (from data.source_payload.updated_at,
//     bench/payloads.mjs) is strictly increasing in offset order.
// It also counts what should not be there: duplicates of an id, records whose content does not
// match the request that got their id, and dead letters.
import kafkajs from 'kafkajs';
import { stepOf } from './payloads.mjs';

const { Kafka, logLevel } = kafkajs;

/** The requests answered 202: event id -> request number, send time, answer time. */
export class AcceptedLog {
  constructor() {
    this.index = new Map();
    this.seqs = [];
    this.sentAt = [];
    this.answeredAt = [];
    this.withoutId = 0;
    this.repeatedIds = 0;
  }

  add(id, seq, sentAt, answeredAt) {
    if (id === undefined) {
      this.withoutId += 1;
      return;
    }
    if (this.index.has(id)) {
      this.repeatedIds += 1;
      return;
    }
    this.index.set(id, this.seqs.length);
    this.seqs.push(seq);
    this.sentAt.push(sentAt);
    this.answeredAt.push(answeredAt);
  }

  get size() {
    return this.index.size;
  }
}

const SAMPLE_LIMIT = 10;

/**
 * @param {object} options
 * @param {string} options.bootstrap
 * @param {{ orders: string, incidences: string, dlq?: string }} options.topics (the reference relay has no dead-letter topic)
 * @param {AcceptedLog} options.accepted
 * @param {(seq: number) => { kind: string, entityId: number, k: number }} options.describe
 * @param {number} options.timeoutMs
 * @param {(seq: number) => string} [options.groupOf] splits accepted and missing by part of the run (report.byGroup)
 */
export async function verifyTopics({ bootstrap, topics, accepted, describe, timeoutMs, groupId, groupOf }) {
  const started = performance.now();
  const kafka = new Kafka({ clientId: 'dropea-relay-bench-verify', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(); // "topic/partition" -> high watermark
  const counts = {};
  try {
    for (const [name, topic] of Object.entries(topics)) {
      const offsets = await admin.fetchTopicOffsets(topic);
      counts[name] = offsets.reduce((sum, o) => sum + (Number(o.high) - Number(o.low)), 0);
      if (name === 'dlq') continue;
      for (const o of offsets) if (Number(o.high) > Number(o.low)) ends.set(`${topic}/${o.partition}`, Number(o.high));
    }
  } finally {
    await admin.disconnect();
  }

  const seen = new Uint8Array(accepted.seqs.length);
  const lastByKey = new Map(); // "topic/key" -> { k, index, offset }
  const valueBytes = { min: Infinity, max: 0, total: 0 };
  const report = {
    accepted: accepted.size,
    found: 0,
    missing: 0,
    orderViolations: 0,
    orderViolationsBetweenOverlappingRequests: 0,
    duplicates: 0,
    mismatched: 0,
    unparsable: 0,
    notAnsweredButInKafka: 0,
    recordsRead: 0,
    recordsByTopic: counts,
    dlqRecords: counts.dlq ?? 0,
    valueBytes: null,
    samples: { missing: [], violations: [], mismatched: [] },
  };

  const check = (topic, message) => {
    report.recordsRead += 1;
    const size = message.value?.length ?? 0;
    valueBytes.total += size;
    if (size < valueBytes.min) valueBytes.min = size;
    if (size > valueBytes.max) valueBytes.max = size;
    let event;
    try {
      event = JSON.parse(message.value.toString('utf8'));
    } catch {
      report.unparsable += 1;
      return;
    }
    const index = accepted.index.get(event.id);
    if (index === undefined) {
      // Sent, but its answer never reached us: in flight when a phase ended, or timed out.
      report.notAnsweredButInKafka += 1;
      return;
    }
    if (seen[index]) {
      report.duplicates += 1;
      return;
    }
    seen[index] = 1;
    report.found += 1;
    const key = message.key?.toString('utf8');
    const payload = event.data?.source_payload ?? {};
    const k = stepOf(payload.updated_at);
    const expected = describe(accepted.seqs[index]);
    if (key !== String(expected.entityId) || k !== expected.k) {
      report.mismatched += 1;
      if (report.samples.mismatched.length < SAMPLE_LIMIT) report.samples.mismatched.push({ id: event.id, key, k, expected });
    }
    const slot = `${topic}/${key}`;
    const previous = lastByKey.get(slot);
    if (previous && k <= previous.k) {
      report.orderViolations += 1;
      // Requests in flight at the same time have no order to keep; one answered before the
      // other was sent does.
      const overlapped = accepted.answeredAt[previous.index] > accepted.sentAt[index];
      if (overlapped) report.orderViolationsBetweenOverlappingRequests += 1;
      if (report.samples.violations.length < SAMPLE_LIMIT) {
        report.samples.violations.push({ topic, key, before: { k: previous.k, offset: previous.offset }, after: { k, offset: message.offset }, overlapped });
      }
    }
    if (!previous || k > previous.k) lastByKey.set(slot, { k, index, offset: message.offset });
  };

  if (ends.size > 0) {
    const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 32 * 1024 * 1024 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topics.orders, topics.incidences], fromBeginning: true });
      const remaining = new Set(ends.keys());
      let finish;
      const done = new Promise((resolve) => (finish = resolve));
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) check(batch.topic, message);
          const last = batch.messages[batch.messages.length - 1];
          const slot = `${batch.topic}/${batch.partition}`;
          if (last && Number(last.offset) + 1 >= (ends.get(slot) ?? Infinity)) remaining.delete(slot);
          if (remaining.size === 0) finish();
        },
      });
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading the topics back took more than ${timeoutMs} ms (${report.recordsRead} records read)`)), timeoutMs);
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect();
    }
  }

  // Per part of the run (groupOf: a request number -> a label), what was acknowledged and lost.
  const byGroup = groupOf ? {} : undefined;
  for (const [id, index] of accepted.index) {
    if (byGroup) {
      const group = (byGroup[groupOf(accepted.seqs[index])] ??= { accepted: 0, missing: 0 });
      group.accepted += 1;
      if (!seen[index]) group.missing += 1;
    }
    if (seen[index]) continue;
    report.missing += 1;
    if (report.samples.missing.length < SAMPLE_LIMIT) report.samples.missing.push({ id, ...describe(accepted.seqs[index]) });
  }
  if (report.recordsRead > 0) {
    report.valueBytes = { min: valueBytes.min, max: valueBytes.max, mean: Math.round(valueBytes.total / report.recordsRead) };
  }
  if (byGroup) report.byGroup = byGroup;
  report.acceptedWithoutId = accepted.withoutId;
  report.repeatedAcceptedIds = accepted.repeatedIds;
  report.seconds = Math.round((performance.now() - started) / 100) / 10;
  // Duplicates are reported, not failed: the contract promises at least once.
  report.ok =
    report.missing === 0 &&
    report.orderViolations === 0 &&
    report.mismatched === 0 &&
    report.unparsable === 0 &&
    report.acceptedWithoutId === 0 &&
    report.repeatedAcceptedIds === 0;
  return report;
}
