import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { request } from 'node:http';
import {
  acceptableRequest,
  assemble,
  badBodyRequest,
  badTextBody,
  bodyOf,
  brokenFieldWebhook,
  encodedRequest,
  hmac,
  isReservedId,
  mixedRequest,
  pad,
  prototypeNamedExtras,
  unsignedRequest,
  validSignature,
  validWebhook,
  webhookWithOverflowingNumber,
  WEBHOOK_PATHS,
  wrongContentTypeRequest,
  type HostileRequest,
  type Kind,
  type UpdatedAt,
  type ValidSignature,
  type ValidWebhook,
} from './support/arbitraries.js';
import { envelopeOf } from './support/envelopes.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';

/**
 * Property-based tests of the relay's edge, against the real app and a real broker.
 *
 * 1. Hostile requests (bodies, headers, content types, codings, signatures, methods, paths,
 *    framing) never get a 5xx, always get a JSON answer (problem+json for errors), and are never
 *    published: the only records on the normalised topics are those of requests that were valid
 *    and correctly signed, and dead letters come only from authenticated requests.
 * 2. Valid webhooks round-trip: each becomes, on its entity's topic and keyed by its id, the
 *    envelope docs/contract.md describes, extra members (even ones named like Object.prototype's)
 *    kept as sent; a number no double can hold is refused or kept, never turned into null.
 * 3. Afterwards Kafka holds exactly what was accepted, the process still serves, and no
 *    prototype has been polluted.
 *
 * Seeds are fixed so every run sends the same requests; on a failure fast-check prints the seed,
 * the path to the shrunk counterexample and that request exactly as sent. Jest fails the test in
 * which an unhandled rejection or an uncaught exception happens, so "the process never crashes"
 * is the test passing plus the health checks at the end.
 */

const KEYS = { current: 'e2e-properties-key', previous: 'e2e-properties-previous-key' };
const MAX_BODY_BYTES = 65536;
const topics = uniqueTopics('properties');
const TOPIC_OF_KIND: Record<Kind, string> = { order: topics.KAFKA_TOPIC_ORDERS!, incidence: topics.KAFKA_TOPIC_INCIDENCES! };

/** Seeds and runs per property: about 3,000 requests, some 20 s on two cores when all hold. */
const RUNS = {
  acceptable: { seed: 20261122, numRuns: 150 },
  badField: { seed: 1707, numRuns: 400 },
  badText: { seed: 8086, numRuns: 400 },
  unsigned: { seed: 4242, numRuns: 400 },
  contentType: { seed: 9001, numRuns: 250 },
  coding: { seed: 31337, numRuns: 200 },
  mixed: { seed: 271828, numRuns: 250 },
  roundTrip: { seed: 161803, numRuns: 100 },
  prototypeNames: { seed: 5551212, numRuns: 50 },
  overflow: { seed: 1000000007, numRuns: 30 },
} as const;

// ---- HTTP exactly as generated --------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly json: unknown;
  readonly sentAt: number;
  readonly answeredAt: number;
}

interface Exchange {
  readonly property: string;
  readonly request: HostileRequest;
  readonly answer: Answer;
}

/** Every request the suite sent and what it got back, for the checks of Kafka at the end. */
const exchanges: Exchange[] = [];

let relay: RunningRelay;
let reader: KafkaReader;
let origin: URL;

/**
 * Sends one request with node:http, header lines as given (repeats and case kept), the body as
 * raw bytes, in one piece with Content-Length or in three chunks. A fresh connection each time,
 * closed after the answer, so one request's fate cannot leak into the next.
 */
function send(req: HostileRequest): Promise<Answer> {
  const framing: string[] = req.chunked ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(req.body.length)];
  const headers = ['Host', origin.host, 'Connection', 'close', ...framing, ...req.headers.flat()];
  const sentAt = Date.now();
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    const outgoing = request({ host: origin.hostname, port: origin.port, method: req.method, path: req.path, headers, agent: false });
    outgoing.setTimeout(20_000, () => outgoing.destroy(new Error('no answer within 20 s')));
    outgoing.on('response', (incoming) => {
      answered = true;
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: incoming.statusCode ?? 0, contentType: String(incoming.headers['content-type'] ?? ''), text, json, sentAt, answeredAt: Date.now() });
      });
    });
    // The relay may answer (413, 415) before it has read the whole body and close the
    // connection; what matters is that it answered.
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (req.chunked) {
      const third = Math.ceil(req.body.length / 3);
      for (let at = 0; at < req.body.length; at += third) outgoing.write(req.body.subarray(at, at + third));
      outgoing.end();
    } else {
      outgoing.end(req.body);
    }
  });
}

async function exchange(property: string, req: HostileRequest): Promise<Answer> {
  let answer: Answer;
  try {
    answer = await send(req);
  } catch (error) {
    throw new Error(`no answer (${(error as Error).message}) to:\n${describeRequest(req)}`);
  }
  exchanges.push({ property, request: req, answer });
  return answer;
}

/** The request as it went on the wire, to reproduce it. */
function describeRequest(req: HostileRequest): string {
  const text = req.body.toString('utf8');
  const shown =
    req.body.length <= 4000
      ? isUtf8(req.body)
        ? `utf8 ${JSON.stringify(text)}`
        : `base64 ${req.body.toString('base64')}`
      : `${isUtf8(req.body) ? `utf8 ${JSON.stringify(text.slice(0, 300))} … ${JSON.stringify(text.slice(-200))}` : `base64 ${req.body.subarray(0, 300).toString('base64')}…`} (sha256 ${createHash('sha256').update(req.body).digest('hex')})`;
  return [
    `${req.method} ${req.path}`,
    ...req.headers.map(([name, value]) => `  ${name}: ${JSON.stringify(value)}`),
    `  ${req.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${req.body.length}`}`,
    `  body, ${req.body.length} bytes: ${shown}`,
    `  faults: ${req.faults.length === 0 ? 'none (valid and signed)' : req.faults.join('; ')}`,
  ].join('\n');
}

/** fast-check prints a counterexample with this, instead of the body as an array of bytes. */
function printable(req: HostileRequest): HostileRequest {
  return Object.defineProperty(req, fc.toStringMethod, { value: () => `\n${describeRequest(req)}\n`, enumerable: false });
}

// ---- what every answer must be ------------------------------------------------------------------

const PUBLISHED_STATUSES = new Set(['published', 'spooled', 'duplicate']);

/**
 * The invariants of every answer: no 5xx (Kafka is up throughout), a JSON body, RFC 9457 for
 * errors, no hint at the expected digest; a faulty request never accepted as an event, an
 * unauthenticated one never accepted at all, a faultless one always published.
 */
function checkAnswer(req: HostileRequest, answer: Answer, { mayRefuse = false } = {}): void {
  const problems: string[] = [];
  const body = answer.json as Record<string, unknown> | undefined;
  if (answer.status >= 500) problems.push(`answered ${answer.status}`);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) problems.push('the answer is not a JSON object');
  if (answer.status >= 400) {
    if (!/^application\/problem\+json/.test(answer.contentType)) problems.push(`content-type ${JSON.stringify(answer.contentType)} is not application/problem+json`);
    for (const member of ['type', 'title', 'detail'] as const) {
      if (typeof body?.[member] !== 'string') problems.push(`the problem has no string ${member}`);
    }
    if (body?.['status'] !== answer.status) problems.push(`the problem's status ${JSON.stringify(body?.['status'])} is not ${answer.status}`);
  } else if (!/^application\/json/.test(answer.contentType)) {
    problems.push(`content-type ${JSON.stringify(answer.contentType)} is not application/json`);
  }
  const digest = hmac(req.body, KEYS.current);
  if ([digest.toString('hex'), digest.toString('base64').slice(0, 43)].some((spelling) => answer.text.toLowerCase().includes(spelling.toLowerCase()))) {
    problems.push('the answer contains the expected digest');
  }

  const outcome = typeof body?.['status'] === 'string' ? body['status'] : undefined;
  const acceptedAsEvent = answer.status < 300 && outcome !== undefined && PUBLISHED_STATUSES.has(outcome);
  if (req.faults.length > 0 && acceptedAsEvent) problems.push(`a request that must not be published was answered ${answer.status} ${outcome}`);
  if (!req.authenticated && answer.status < 300) problems.push(`an unauthenticated request was answered ${answer.status}`);
  if (req.faults.length === 0 && !mayRefuse && !(acceptedAsEvent && outcome !== 'spooled')) problems.push('a valid, signed webhook was not published');

  if (problems.length > 0) {
    throw new Error(`${problems.join('; ')}\n\nrequest:\n${describeRequest(req)}\n\nanswer: ${answer.status} ${answer.contentType}\n${answer.text.slice(0, 1000)}`);
  }
}

async function hostileProperty(property: string, arbitrary: fc.Arbitrary<HostileRequest>, runs: { seed: number; numRuns: number }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary.map(printable), async (req) => {
      checkAnswer(req, await exchange(property, req));
    }),
    runs,
  );
}

/** The same, several requests at once: concurrency must not let one request's fate change another's. */
async function concurrentProperty(property: string, arbitrary: fc.Arbitrary<HostileRequest>, runs: { seed: number; numRuns: number }): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(arbitrary.map(printable), { minLength: 1, maxLength: 4 }), async (batch) => {
      const answers = await Promise.all(batch.map((req) => exchange(property, req)));
      batch.forEach((req, index) => checkAnswer(req, answers[index]!));
    }),
    runs,
  );
}

async function expectServing(): Promise<void> {
  const live = await fetch(new URL('/health/live', origin));
  expect({ status: live.status, body: await live.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  const ready = await fetch(new URL('/health/ready', origin));
  expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ok', kafka: 'up' } });
}

// ---- what a record must be -------------------------------------------------------------------

/** docs/contract.md §2: trimmed, lower case, runs of whitespace and hyphens as `_`, synonyms folded. */
function canonical(status: string): string {
  const folded = status.trim().toLowerCase().replace(/[\s-]+/g, '_');
  return ({ canceled: 'cancelled', solution_send: 'solution_sent', resolution_send: 'solution_sent' } as Record<string, string>)[folded] ?? folded;
}

/**
 * Madrid's wall clock read back through Intl's calendar fields (not its offset names, which the
 * relay uses), to say independently which instant a wall-clock time is.
 */
const MADRID_FIELDS = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Europe/Madrid',
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});
/** Every offset Madrid has used: local mean time until 1901 (-0:14:44), WET, CET, and CEST or double summer time. */
const MADRID_OFFSETS = [-884, 0, 3600, 7200];

function madridWallAt(epochSeconds: number): number {
  const field = Object.fromEntries(MADRID_FIELDS.formatToParts(new Date(epochSeconds * 1000)).map((part) => [part.type, Number(part.value)]));
  return Date.UTC(field['year']!, field['month']! - 1, field['day'], field['hour'], field['minute'], field['second']) / 1000;
}

/**
 * What the envelope's time fields must be for an `updated_at`: an explicit offset wins; a Madrid
 * wall-clock time that happens twice is its first occurrence, one that never happens (the spring
 * gap) is read with the offset in force before the jump. Undefined for years before 1000, where
 * Intl's calendar turns proleptic and the comparison with the relay's own pipes has to do.
 */
function expectedTime(t: UpdatedAt): { time: string; occurred_at_local: string; utc_offset: string } | undefined {
  if (t.year < 1000) return undefined;
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000;
  let offset = t.offsetSeconds;
  if (offset === undefined) {
    const fits = MADRID_OFFSETS.filter((candidate) => madridWallAt(wall - candidate) === wall);
    offset = fits.length > 0 ? Math.max(...fits) : madridWallAt(wall - 86_400) - (wall - 86_400);
  }
  const fraction = t.fraction === undefined ? '' : `.${t.fraction}`;
  const abs = Math.abs(offset);
  const seconds = abs % 60 === 0 ? '' : `:${pad(abs % 60)}`;
  return {
    time: `${new Date((wall - offset) * 1000).toISOString().slice(0, 19)}${fraction}Z`,
    occurred_at_local: `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${fraction}`,
    utc_offset: `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}${seconds}`,
  };
}

async function recordWithId(id: string, timeoutMs = 15_000): Promise<ReadRecord> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    const found = reader.records.find((record) => record.headers['ce_id'] === id);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no record with ce_id ${id} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The record of a published webhook against the contract, field by field. */
function checkRecord(record: ReadRecord, webhook: ValidWebhook, body: Buffer, answer: Answer): void {
  const key = String(webhook.entityId);
  const value = record.value as { data: Record<string, unknown> } & Record<string, unknown>;
  const type = `com.dropea.${webhook.kind}.status_changed`;
  expect({ topic: record.topic, key: record.key }).toEqual({ topic: TOPIC_OF_KIND[webhook.kind], key });
  expect(record.headers).toEqual({
    'content-type': 'application/cloudevents+json; charset=utf-8',
    ce_id: answer.json && (answer.json as Record<string, unknown>)['id'],
    ce_type: type,
    ce_source: 'dropea',
    ce_specversion: '1.0',
  });

  // What the relay's own pipes and normalize() make of these bytes, as a consumer reads it.
  const built = JSON.parse(JSON.stringify(envelopeOf(body))) as typeof value;
  expect(value).toEqual({ ...built, data: { ...built.data, received_at: value.data['received_at'] } });

  // And what the contract says, without the relay's code.
  const receivedAt = Date.parse(String(value.data['received_at']));
  expect(receivedAt).toBeGreaterThanOrEqual(answer.sentAt - 1);
  expect(receivedAt).toBeLessThanOrEqual(answer.answeredAt);
  const time = expectedTime(webhook.updatedAt);
  expect({
    specversion: value['specversion'],
    source: value['source'],
    type: value['type'],
    subject: value['subject'],
    partitionkey: value['partitionkey'],
    datacontenttype: value['datacontenttype'],
    ...(time === undefined ? {} : { time: value['time'] }),
    data: {
      entity: value.data['entity'],
      entity_id: value.data['entity_id'],
      previous_status: value.data['previous_status'],
      status: value.data['status'],
      ...(time === undefined ? {} : { occurred_at_local: value.data['occurred_at_local'], utc_offset: value.data['utc_offset'] }),
      source_payload: value.data['source_payload'],
    },
  }).toEqual({
    specversion: '1.0',
    source: 'dropea',
    type,
    subject: key,
    partitionkey: key,
    datacontenttype: 'application/json',
    ...(time === undefined ? {} : { time: time.time }),
    data: {
      entity: webhook.kind,
      entity_id: webhook.entityId,
      previous_status: webhook.prevStatus == null ? null : canonical(webhook.prevStatus),
      status: canonical(webhook.newStatus),
      ...(time === undefined ? {} : { occurred_at_local: time.occurred_at_local, utc_offset: time.utc_offset }),
      source_payload: JSON.parse(body.toString('utf8').replace(/^\ufeff/, '')),
    },
  });
}

/** Sends valid webhooks together, then checks each answer and each record it stands for. */
async function roundTrip(property: string, batch: readonly (readonly [ValidWebhook, ValidSignature, boolean])[]): Promise<void> {
  const sent = await Promise.all(
    batch.map(async ([webhook, signature, redeliver]) => {
      const body = bodyOf(webhook);
      const req = assemble(
        { method: { method: 'POST' }, path: { path: webhook.route }, body: { bytes: body, webhook }, signature, contentType: 'application/json', coding: undefined, extraHeaders: [], chunked: false },
        KEYS,
      );
      const answer = await exchange(property, req);
      checkAnswer(req, answer);
      return { webhook, body, req, answer, redeliver };
    }),
  );
  for (const { webhook, body, req, answer, redeliver } of sent) {
    const reply = answer.json as Record<string, unknown>;
    const context = `\nrequest:\n${describeRequest(req)}\nanswer: ${answer.status} ${answer.text}`;
    const expectedId = envelopeOf(body).id;
    if (reply['id'] !== expectedId) throw new Error(`answered id ${JSON.stringify(reply['id'])}, the event's id is ${expectedId}${context}`);
    if (answer.status === 202) {
      if (reply['topic'] !== TOPIC_OF_KIND[webhook.kind]) throw new Error(`answered topic ${JSON.stringify(reply['topic'])}${context}`);
      const record = await recordWithId(expectedId);
      try {
        checkRecord(record, webhook, body, answer);
      } catch (error) {
        throw new Error(`${(error as Error).message}${context}`);
      }
    }
    if (redeliver) {
      // The same bytes again: the same event, answered as a duplicate, published once.
      const again = await exchange(property, req);
      checkAnswer(req, again);
      expect({ status: again.status, body: again.json }).toEqual({ status: 200, body: { status: 'duplicate', id: expectedId } });
    }
  }
}

// ---- the suite ---------------------------------------------------------------------------------

// Object.prototype of this test's realm (the app's modules are loaded in it) and of Node's own
// realm (node:http's objects), as they were before any request.
const outerObjectPrototype = Object.getPrototypeOf(EventEmitter.prototype) as object;
const prototypesBefore = {
  inner: Object.getOwnPropertyNames(Object.prototype).sort(),
  outer: Object.getOwnPropertyNames(outerObjectPrototype).sort(),
  array: Object.getOwnPropertyNames(Array.prototype).sort(),
};

describe('properties of the relay under generated requests', () => {
  beforeAll(async () => {
    relay = await startRelay({
      ...topics,
      DROPEA_SIGNATURE_MODE: 'required',
      DROPEA_API_KEYS: `${KEYS.previous},${KEYS.current}`,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    });
    origin = new URL(relay.url);
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!, topics.KAFKA_TOPIC_DLQ!]);
  });

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  describe('hostile requests get a 4xx problem or a 2xx, never a 5xx, and are never published', () => {
    it('publishes a valid, signed webhook however the contract lets it be sent (any signature spelling or key, JSON parameters, identity coding, chunked, other headers)', async () => {
      await hostileProperty('acceptable', acceptableRequest(KEYS), RUNS.acceptable);
      await expectServing();
    });

    it('refuses correctly signed webhooks that break a field rule: missing, mistyped or out-of-range topic, id, statuses, updated_at', async () => {
      await hostileProperty('bad field', badBodyRequest(KEYS, brokenFieldWebhook), RUNS.badField);
      await expectServing();
    });

    it('refuses correctly signed bodies that are no acceptable JSON object: arbitrary bytes and JSON, invalid UTF-8, syntax errors, duplicate or __proto__ members, deep nesting, oversize', async () => {
      await hostileProperty('bad text', badBodyRequest(KEYS, badTextBody(MAX_BODY_BYTES)), RUNS.badText);
      await expectServing();
    });

    it('refuses anything without exactly one correct signature: missing, empty, wrong key, other bytes, malformed, several headers', async () => {
      await hostileProperty('unsigned', unsignedRequest(KEYS, MAX_BODY_BYTES), RUNS.unsigned);
      await expectServing();
    });

    it('refuses signed webhooks under any content type but application/json, or none', async () => {
      await hostileProperty('content type', wrongContentTypeRequest(KEYS, MAX_BODY_BYTES), RUNS.contentType);
      await expectServing();
    });

    it('refuses signed webhooks with a content coding other than identity, compressed or not', async () => {
      await hostileProperty('content coding', encodedRequest(KEYS), RUNS.coding);
      await expectServing();
    });

    it('never publishes a request with any fault in any combination of method, path, body, signature, content type, coding, headers and framing, several at once beside valid ones', async () => {
      const requests = fc.oneof({ weight: 4, arbitrary: mixedRequest(KEYS, MAX_BODY_BYTES) }, { weight: 1, arbitrary: acceptableRequest(KEYS) });
      await concurrentProperty('mixed', requests, RUNS.mixed);
      await expectServing();
    });
  });

  describe('valid webhooks round-trip to the envelope of the contract', () => {
    it('publishes each generated order and incidence, alone or several at once, as its envelope, keyed by its id; a redelivery is a duplicate', async () => {
      const batch = fc.array(fc.tuple(validWebhook(), validSignature, fc.nat(4).map((n) => n === 0)), { minLength: 1, maxLength: 3 });
      await fc.assert(
        fc.asyncProperty(batch, (webhooks) => roundTrip('round trip', webhooks)),
        RUNS.roundTrip,
      );
    });

    it('keeps extra members named after Object.prototype members (constructor, toString, valueOf, …), which the contract allows', async () => {
      const batch = fc.array(fc.tuple(validWebhook({ extras: prototypeNamedExtras }), validSignature, fc.constant(false)), { minLength: 1, maxLength: 1 });
      await fc.assert(
        fc.asyncProperty(batch, (webhooks) => roundTrip('prototype names', webhooks)),
        RUNS.prototypeNames,
      );
    });
  });

  describe('numbers no double can hold', () => {
    it('refuses a valid webhook whose extra member holds a number beyond the double range, or keeps it a number: never null in source_payload', async () => {
      await fc.assert(
        fc.asyncProperty(webhookWithOverflowingNumber, validSignature, async ({ webhook, text, nested }, signature) => {
          const body = bodyOf(webhook);
          const req = printable(
            assemble(
              { method: { method: 'POST' }, path: { path: webhook.route }, body: { bytes: body, webhook }, signature, contentType: 'application/json', coding: undefined, extraHeaders: [], chunked: false },
              KEYS,
            ),
          );
          const answer = await exchange('overflowing number', req);
          checkAnswer(req, answer, { mayRefuse: true });
          const reply = answer.json as Record<string, unknown>;
          if (answer.status >= 300) return;
          // A duplicate (a shrunk copy of an earlier case is the same event) stands for the record published first.
          const record = await recordWithId(String(reply['id']));
          const amount = ((record.value['data'] as Record<string, unknown>)['source_payload'] as Record<string, unknown>)['amount'];
          const kept = nested && Array.isArray(amount) ? amount[0] : amount;
          if (typeof kept !== 'number') {
            throw new Error(`published, and ${text} in the body is ${JSON.stringify(kept)} in data.source_payload\n\nrequest:\n${describeRequest(req)}\n\nanswer: ${answer.status} ${answer.text}`);
          }
        }),
        RUNS.overflow,
      );
    });
  });

  describe('after every request above', () => {
    it('Kafka holds exactly the accepted events: nothing from a faulty or unauthenticated request, each 202 once; dead letters only from authenticated requests', async () => {
      const published = exchanges.filter(({ answer }) => answer.status === 202 && (answer.json as Record<string, unknown>)['status'] === 'published');
      const publishedIds = new Set(published.map(({ answer }) => (answer.json as Record<string, string>)['id']!));
      const normalised = (): ReadRecord[] => reader.records.filter((record) => record.topic !== topics.KAFKA_TOPIC_DLQ);
      for (const deadline = Date.now() + 30_000; normalised().filter((record) => publishedIds.has(record.headers['ce_id']!)).length < publishedIds.size; ) {
        if (Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Whatever else was written has had time to arrive too.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const records = normalised();

      // Every record is the event of a 202 to a valid, signed request; every 202 has its record, once.
      const requestOf = new Map(published.map((e) => [(e.answer.json as Record<string, string>)['id']!, e]));
      // Reported per kind of fault: how many records, and the smallest request that made one.
      const strays = new Map<string, { count: number; smallest: string; size: number }>();
      for (const record of records) {
        const source = requestOf.get(record.headers['ce_id']!);
        if (source?.request.faults.length === 0) continue;
        const kind = source ? `${source.property}: ${source.request.faults.map((fault) => fault.replace(/\d+/g, 'N')).join('; ')}` : 'no 202 published answers it';
        const size = source?.request.body.length ?? 0;
        const seen = strays.get(kind);
        if (seen === undefined || size < seen.size) {
          const smallest = source ? describeRequest(source.request) : `${record.topic} ${record.partition}/${record.offset} key ${record.key}`;
          strays.set(kind, { count: (seen?.count ?? 0) + 1, smallest, size });
        } else {
          seen.count += 1;
        }
      }
      const strayRecords = [...strays].map(([kind, { count, smallest }]) => `${count} record(s) from requests with ${kind}; the smallest:\n${smallest}`);
      const counts = new Map<string, number>();
      for (const record of records) counts.set(record.headers['ce_id']!, (counts.get(record.headers['ce_id']!) ?? 0) + 1);
      const notOnce = [...publishedIds].filter((id) => counts.get(id) !== 1).map((id) => `${id}: ${counts.get(id) ?? 0} records`);

      // The reserved ids on the topics are exactly those of the faultless hostile requests.
      const acceptedReserved = [...new Set(exchanges.filter((e) => e.request.faults.length === 0 && isReservedId(e.request.entityId) && e.answer.status < 300).map((e) => String(e.request.entityId)))].sort();
      const reservedOnTopics = [...new Set(records.map((record) => record.key).filter((key) => isReservedId(Number(key))))].sort();

      // A dead letter is the exact body of an authenticated request to a webhook route.
      const authenticatedBodies = new Set(exchanges.filter((e) => e.request.authenticated).map((e) => e.request.body.toString('base64')));
      const letters = reader.records.filter((record) => record.topic === topics.KAFKA_TOPIC_DLQ);
      const foreignLetters = letters
        .filter((record) => !authenticatedBodies.has(record.raw.toString('base64')) || record.headers['dlq_signature'] !== 'valid' || !WEBHOOK_PATHS.includes(record.headers['dlq_route'] ?? ''))
        .map((record) => `${record.offset} ${record.headers['dlq_route']} ${record.headers['dlq_signature']}: ${record.raw.toString('utf8').slice(0, 200)}`);

      // And every refusal for a rule (422) or unknown topic (202 dead_lettered) kept its body first.
      const kept = new Set(letters.map((record) => `${record.headers['dlq_route']} ${record.raw.toString('base64')}`));
      const unkept = exchanges
        .filter(({ answer }) => answer.status === 422 || (answer.json as Record<string, unknown> | undefined)?.['status'] === 'dead_lettered')
        .filter(({ request: req }) => !kept.has(`${req.path.split('?')[0]} ${req.body.toString('base64')}`))
        .map(({ request: req, answer }) => `${answer.status}, not on the dead-letter topic:\n${describeRequest(req)}`);

      // One comparison, so that a failure shows every finding at once.
      expect({ strayRecords, notOnce, reservedOnTopics, foreignLetters, unkept }).toEqual({ strayRecords: [], notOnce: [], reservedOnTopics: acceptedReserved, foreignLetters: [], unkept: [] });
      // The run did exercise both sides.
      expect(acceptedReserved.length).toBeGreaterThan(RUNS.acceptable.numRuns / 2);
      expect(letters.length).toBeGreaterThan(0);
    });

    it('the relay still serves and is ready, and no prototype has been polluted', async () => {
      await expectServing();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypesBefore.inner);
      expect(Object.getOwnPropertyNames(outerObjectPrototype).sort()).toEqual(prototypesBefore.outer);
      expect(Object.getOwnPropertyNames(Array.prototype).sort()).toEqual(prototypesBefore.array);
      const probe = {} as Record<string, unknown>;
      const outerProbe = Object.create(outerObjectPrototype) as Record<string, unknown>;
      for (const name of ['polluted', 'isAdmin']) {
        expect(probe[name]).toBeUndefined();
        expect(outerProbe[name]).toBeUndefined();
      }
      // The suite did reach the parser with such members.
      expect(exchanges.some((e) => e.request.faults.some((fault) => fault.includes('__proto__')))).toBe(true);
    });
  });
});
