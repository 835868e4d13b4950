// The reference relay (bench only, never shipped): the least a relay has to do, on bare Fastify
// (the relay's own Fastify, through @nestjs/platform-fastify) and kafkajs. Raw body, HMAC-SHA256
// check (hex, as bench/payloads.mjs signs), JSON.parse, the contract's CloudEvents 1.0 JSON envelope
// (CONTRACT.md §2: the same attributes and data fields as the relay's, so the same record size)
// with a random id, and an idempotent producer (acks=all, one request in flight) behind a micro-batch
// like the relay's: a batch leaves after KAFKA_BATCH_LINGER_MS (2) or at KAFKA_BATCH_MAX_RECORDS
// (500); while one is in flight the next gathers and leaves when it is acknowledged. 202 only
// after the broker acknowledged. No Nest, no validation, no dedup, no metrics, no dead letters.
// kafkajs as published; with REFERENCE_KAFKAJS=relay, kafkajs as the relay loads it
// (dist/kafkajs/kafkajs.js: pooled Encoder, CRC-32C from crc-32), to show what that alone is worth.
//
//   PORT=3334 KAFKA_BROKERS=127.0.0.1:29092 DROPEA_API_KEYS=key node bench/reference-relay.mjs
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';

const env = process.env;
const require = createRequire(import.meta.url);
const Fastify = createRequire(require.resolve('@nestjs/platform-fastify/package.json'))('fastify');
// Imported, not loaded by an `import` statement: that would load kafkajs before the relay's module could replace its parts.
const asRelay = env.REFERENCE_KAFKAJS === 'relay';
const { kafkajs, fasterEncoding } = asRelay ? await import('../dist/kafkajs/kafkajs.js') : { kafkajs: (await import('kafkajs')).default };
if (asRelay && !fasterEncoding) throw new Error('REFERENCE_KAFKAJS=relay: kafkajs was loaded before its parts could be replaced');
const { Kafka, Partitioners, logLevel } = kafkajs;
const key = (env.DROPEA_API_KEYS ?? '').split(',')[0].trim();
const topics = { order: env.KAFKA_TOPIC_ORDERS ?? 'dropea.order.status.v1', incidence: env.KAFKA_TOPIC_INCIDENCES ?? 'dropea.incidence.status.v1' };
const lingerMs = Number(env.KAFKA_BATCH_LINGER_MS ?? 2);
const maxRecords = Number(env.KAFKA_BATCH_MAX_RECORDS ?? 500);
const retry = { initialRetryTime: 100, maxRetryTime: 1000, retries: 10 }; // the relay's
const kafka = new Kafka({ clientId: 'dropea-reference-relay', brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), connectionTimeout: 3000, requestTimeout: 5000, retry, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry });
let ready = false;
// kafkajs 2.2.4 arms a negative timer when its request queue is idle; Node 24 warns of it
// (harmless, see src/logging/process-warnings.ts). Other warnings still go to stderr.
process.removeAllListeners('warning').on('warning', (w) => w.name === 'TimeoutNegativeWarning' || process.stderr.write(`${w.name}: ${w.message}\n`));

// The micro-batch: { topic, message, resolve, reject } waiting, and whether a send is in flight.
let queue = [];
let timer;
let inFlight = false;
function publish(topic, message) {
  return new Promise((resolve, reject) => {
    queue.push({ topic, message, resolve, reject });
    if (inFlight) return; // leaves when the batch in flight is acknowledged
    if (queue.length >= maxRecords) dispatch();
    else timer ??= setTimeout(dispatch, lingerMs);
  });
}
function dispatch() {
  clearTimeout(timer);
  timer = undefined;
  if (inFlight || queue.length === 0) return;
  const batch = queue.slice(0, maxRecords);
  queue = queue.slice(batch.length);
  const byTopic = new Map(); // one entry per topic; records keep their order within it
  for (const { topic, message } of batch) (byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)).push(message);
  inFlight = true;
  producer
    .sendBatch({ acks: -1, timeout: 5000, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
    .then(() => batch.forEach((item) => item.resolve()), (error) => batch.forEach((item) => item.reject(error)))
    .finally(() => {
      inFlight = false;
      if (queue.length > 0) dispatch();
    });
}

// `updated_at` is Europe/Madrid wall-clock time without an offset ("2026-01-01 00:00:07"): its
// offset comes from Intl, once per local hour (the zone's rules change on whole hours), and the
// envelope carries the instant in UTC, the local time and the offset, as the relay's does (the
// hour October repeats gets its second offset here, the first in the relay: the bench never sends one).
const madrid = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Madrid', timeZoneName: 'longOffset' });
const offsetsByHour = new Map();
function offsetAt(epochMs) {
  const name = madrid.formatToParts(epochMs).find((part) => part.type === 'timeZoneName').value; // "GMT+01:00"
  return name === 'GMT' ? '+00:00' : name.slice(3);
}
function madridTime(updatedAt) {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})$/.exec(updatedAt);
  if (match === null) return undefined;
  const local = `${match[1]}T${match[2]}`;
  const hour = local.slice(0, 13);
  let offset = offsetsByHour.get(hour);
  if (offset === undefined) {
    const asUtc = Date.parse(`${local}Z`);
    if (Number.isNaN(asUtc)) return undefined;
    const guess = offsetAt(asUtc);
    offset = offsetAt(Date.parse(`${local}${guess}`));
    offsetsByHour.set(hour, offset);
  }
  const utc = new Date(Date.parse(`${local}${offset}`)).toISOString();
  return { utc: `${utc.slice(0, 19)}Z`, local, offset };
}

const app = Fastify({ bodyLimit: Number(env.MAX_BODY_BYTES ?? 65536), logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser(/^application\/json\s*(;|$)/i, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

async function receive(request, reply) {
  if (!Buffer.isBuffer(request.body)) return reply.code(415).send({ status: 'unsupported_media_type' });
  const expected = createHmac('sha256', key).update(request.body).digest();
  const header = request.headers['x-dropea-hmac-sha256'];
  const given = typeof header === 'string' && /^[0-9a-f]{64}$/i.test(header) ? Buffer.from(header, 'hex') : undefined;
  if (!given || !timingSafeEqual(expected, given)) return reply.code(401).send({ status: 'unauthorized' });
  let body;
  try {
    body = JSON.parse(request.body);
  } catch {
    return reply.code(400).send({ status: 'bad_request' });
  }
  const kind = body?.topic === 'incidence:status_update' ? 'incidence' : 'order';
  const entityId = kind === 'order' ? body.order_id : body.incidence_id;
  if (!Number.isSafeInteger(entityId)) return reply.code(400).send({ status: 'bad_request' });
  const time = typeof body.updated_at === 'string' ? madridTime(body.updated_at) : undefined;
  if (time === undefined) return reply.code(400).send({ status: 'bad_request' });
  const id = randomUUID();
  const subject = String(entityId);
  const event = {
    specversion: '1.0', id, source: env.CE_SOURCE ?? 'dropea', type: `com.dropea.${kind}.status_changed`, subject,
    time: time.utc, datacontenttype: 'application/json', partitionkey: subject,
    data: {
      entity: kind, entity_id: entityId, previous_status: body.prev_status ?? null, status: body.new_status,
      occurred_at_local: time.local, utc_offset: time.offset, received_at: new Date().toISOString(), source_payload: body,
    },
  };
  // The record carries the headers the relay's records carry (CloudEvents Kafka binding: the
  // content type of structured mode and the ce_ attributes), so both give kafkajs the same work.
  const headers = { 'content-type': 'application/cloudevents+json; charset=utf-8', ce_id: id, ce_type: event.type, ce_source: event.source, ce_specversion: '1.0' };
  const message = { key: String(entityId), value: JSON.stringify(event), headers };
  try {
    await publish(topics[kind], message);
  } catch {
    return reply.code(503).send({ status: 'unavailable' });
  }
  return reply.code(202).send({ status: 'published', id, topic: topics[kind] });
}
for (const path of ['/webhooks/dropea/orders', '/webhooks/dropea/incidences', '/webhooks/dropea']) app.post(path, receive);
app.get('/health/ready', async (_request, reply) => reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'starting' }));

process.once('SIGTERM', stop).once('SIGINT', stop);
async function stop() {
  try {
    await app.close(); // waits for the requests in flight, which wait for their batches
    await producer.disconnect();
    process.exit(0);
  } catch {
    process.exit(1);
  }
}

await app.listen({ port: Number(env.PORT ?? 3334), host: env.HOST ?? '127.0.0.1' });
// Its topics as the relay creates them with KAFKA_CREATE_TOPICS=true (KAFKA_TOPIC_PARTITIONS, 6 by default).
// A broker that has just started may refuse the first CreateTopics: try again, a second apart.
const [numPartitions, replicationFactor] = [Number(env.KAFKA_TOPIC_PARTITIONS ?? 6), Number(env.KAFKA_REPLICATION_FACTOR ?? 1)];
for (let attempt = 1; ; attempt++) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions, replicationFactor })), waitForLeaders: true });
    break;
  } catch (error) {
    if (attempt === 10) throw error;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    await admin.disconnect();
  }
}
await producer.connect();
ready = true; // silent from here on, like the relay at LOG_LEVEL=warn
