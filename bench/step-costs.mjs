// What each step of the relay's own path costs one webhook, timed on its own from dist/ (run
// `npm run build` first), beside the operation the reference relay does in its place, where it
// does one (docs/benchmarks.md, "Where the time goes"). Each figure is the best of 4 passes of
// 200,000 distinct webhooks, so it is the step's cost with warm caches and a hot JIT: a floor,
// not what the step costs amid everything else under load.
//
//   node bench/step-costs.mjs
//
// STEP_COSTS_WEBHOOKS sets how many distinct webhooks a pass times (200,000 by default); the
// test that keeps this script running with the relay's code (test/bench-scripts.e2e-spec.ts)
// uses a few thousand, whose figures mean nothing.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import 'reflect-metadata';
import { IdTable } from '../dist/dedup/id-table.js';
import { encodeJson } from '../dist/envelope/envelope-format.js';
import { eventId } from '../dist/envelope/event-id.js';
import { parseUpdatedAt } from '../dist/envelope/madrid-time.js';
import { normalize } from '../dist/envelope/normalize.js';
import { parseStrictJson } from '../dist/json/strict-json.js';
import { recordBytes, toKafkaRecord } from '../dist/publishing/kafka-record.js';
import { HmacSha256Key } from '../dist/webhooks/hmac-sha256-key.js';
import { checkSignature } from '../dist/webhooks/signature.js';
import { StatusUpdatePipe } from '../dist/webhooks/status-update.pipe.js';
import { requestBody } from './payloads.mjs';

const N = Number(process.env.STEP_COSTS_WEBHOOKS ?? 200_000);
const KEY = 'step-costs-key';
const KEYS = [new HmacSha256Key(KEY)]; // as the guard makes them, once
const TOPICS = { orders: 'orders', incidences: 'incidences', deadLetter: 'dlq' };
const bodies = Array.from({ length: N }, (_, i) => Buffer.from(requestBody({ kind: 'order', entityId: 1_000_000 + (i % 10_000), k: 1 + Math.floor(i / 10_000) })));
const signatures = bodies.map((body) => createHmac('sha256', KEY).update(body).digest('hex'));
const pipe = new StatusUpdatePipe();
const objects = bodies.map((body) => parseStrictJson(body, 32).value);
const changes = objects.map((object) => pipe.transform(object).change);
// The same instants written the other way (ISO 8601), so that parseUpdatedAt's one-entry cache
// (validation and normalize parse the same text) misses on every call.
const isoTimes = changes.map((change) => change.updatedAt.replace(' ', 'T'));
const receivedAt = new Date();
const events = changes.map((change) => normalize(change, { receivedAt, source: 'dropea' }));
const values = events.map((event) => encodeJson(event));
const ids = new IdTable(20_000);
let now = 0;

const steps = [
  ['signature check (guard)', (i) => checkSignature(bodies[i], signatures[i], KEYS)],
  ['  reference: HMAC + timingSafeEqual', (i) => timingSafeEqual(createHmac('sha256', KEY).update(bodies[i]).digest(), Buffer.from(signatures[i], 'hex'))],
  ['strict JSON (JsonBodyPipe)', (i) => parseStrictJson(bodies[i], 32)],
  ['  reference: JSON.parse', (i) => JSON.parse(bodies[i])],
  ['DTO rules (StatusUpdatePipe)', (i) => pipe.transform(objects[i])],
  ['updated_at, first parse', (i) => parseUpdatedAt(i % 2 === 0 ? changes[i].updatedAt : isoTimes[i])],
  ['envelope (normalize, event id included)', (i) => normalize(changes[i], { receivedAt, source: 'dropea' })],
  ['  of which the event id', (i) => eventId({ source: 'dropea', topic: changes[i].topic, entityId: changes[i].entityId, previousStatus: changes[i].previousStatus, status: changes[i].status, utcTime: events[i].time })],
  ['  reference: randomUUID', () => randomUUID()],
  ['record value (JSON.stringify)', (i) => encodeJson(events[i])],
  // The value comes encoded (the row above): this row is the record around it and its size.
  ['record, its size included', (i) => recordBytes(toKafkaRecord(events[i], {}, TOPICS, () => values[i]))],
  ['dedup (has + add)', (i) => {
    ids.expire(++now);
    if (!ids.has(events[i].id)) ids.add(events[i].id, now + 1e9);
  }],
];

process.stdout.write(`Node ${process.version}, µs per webhook (best of 4 × ${N.toLocaleString('en-US')})\n`);
for (const [name, step] of steps) {
  let best = Infinity;
  for (let pass = 0; pass < 4; pass++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i++) step(i);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / N);
  }
  process.stdout.write(`${name.padEnd(42)} ${(best / 1000).toFixed(2).padStart(6)}\n`);
}
