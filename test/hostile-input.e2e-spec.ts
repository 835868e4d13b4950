import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { post, sign, type Reply } from './support/http.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { rawExchange } from './support/raw-http.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { orderBody } from './support/webhook-bodies.js';

const KEY = 'e2e-hostile-input-key';
const ORDERS = '/webhooks/dropea/orders';
const MAX_BODY_BYTES = 65536;


/** The same with `order_id` spelt as given, for numbers JSON.stringify would rewrite. */
const orderWithIdText = (idText: string): string => orderBody(0).replace('"order_id":0', `"order_id":${idText}`);

/** An order padded with an extra member to exactly `bytes` bytes. */
function orderOfSize(id: number, bytes: number): string {
  const base = orderBody(id, { padding: '' });
  return orderBody(id, { padding: 'x'.repeat(bytes - Buffer.byteLength(base)) });
}

const signed = (body: Buffer | string, headers: Record<string, string> = {}): Record<string, string> => ({
  'x-dropea-hmac-sha256': sign(body, KEY),
  ...headers,
});

function expectProblem(reply: Reply, status: number, slug: string): void {
  expect({ status: reply.status, contentType: reply.headers.get('content-type') }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(reply.body).toMatchObject({ type: `urn:dropea-relay:problem:${slug}`, status, title: expect.any(String), detail: expect.any(String) });
}

/** A raw request head; the body, if any, follows it. */
const head = (lines: readonly string[]): string => `${['POST /webhooks/dropea/orders HTTP/1.1', 'Host: relay', ...lines].join('\r\n')}\r\n\r\n`;

describe('hostile input', () => {
  const topics = uniqueTopics('hostile');
  let relay: RunningRelay;
  let reader: KafkaReader;
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();
  /** The entity ids of the requests answered 202 here: nothing else may reach the event topics. */
  const accepted = new Set<string>();

  beforeAll(async () => {
    relay = await startRelay({ ...topics, DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY, MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!, topics.KAFKA_TOPIC_DLQ!]);
  });

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  const send = async (body: Buffer | string, headers: Record<string, string> = signed(body)): Promise<Reply> =>
    post(`${relay.url}${ORDERS}`, body, { headers });

  const expectAccepted = async (body: Buffer | string, id: string, headers?: Record<string, string>): Promise<Reply> => {
    const reply = await send(body, headers);
    expect({ status: reply.status, body: reply.body }).toMatchObject({ status: 202, body: { status: 'published' } });
    accepted.add(id);
    return reply;
  };

  const recordOf = async (id: string): Promise<ReadRecord> => {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
      const found = reader.records.find((record) => record.topic === topics.KAFKA_TOPIC_ORDERS && record.key === id);
      if (found) return found;
    }
    throw new Error(`no record keyed ${id}`);
  };

  describe('body size', () => {
    it('accepts a body of exactly MAX_BODY_BYTES', async () => {
      const body = orderOfSize(1001, MAX_BODY_BYTES);
      expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
      await expectAccepted(body, '1001');
      expect((await recordOf('1001')).value['data']).toMatchObject({ source_payload: JSON.parse(body) });
    });

    it('answers 413 to one byte more', async () => {
      const body = orderOfSize(1002, MAX_BODY_BYTES + 1);
      expectProblem(await send(body), 413, 'payload-too-large');
    });

    it('answers 413 to a chunked body with no Content-Length once it passes the limit', async () => {
      const body = Buffer.from(orderOfSize(1003, MAX_BODY_BYTES + 1));
      const chunks = [body.subarray(0, 40_000), body.subarray(40_000)].map((chunk) => `${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
      const reply = await rawExchange(relay.url, [
        head(['Content-Type: application/json', 'Transfer-Encoding: chunked', `X-Dropea-Hmac-Sha256: ${sign(body, KEY)}`]),
        ...chunks,
        '0\r\n\r\n',
      ]);
      expect(reply.status).toBe(413);
      expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(reply.body)).toMatchObject({ type: 'urn:dropea-relay:problem:payload-too-large', status: 413 });
    });

    it('accepts a chunked body under the limit', async () => {
      const body = orderBody(1004);
      const reply = await rawExchange(
        relay.url,
        [head(['Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close', `X-Dropea-Hmac-Sha256: ${sign(body, KEY)}`]), `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`],
      );
      expect(reply.status).toBe(202);
      accepted.add('1004');
    });
  });

  describe('content encoding', () => {
    it.each([
      ['gzip', (body: string) => gzipSync(body)],
      ['deflate', (body: string) => Buffer.from(body)],
      ['br', (body: string) => Buffer.from(body)],
      ['gzip, identity', (body: string) => gzipSync(body)],
    ])('answers 415 with Accept-Encoding: identity to Content-Encoding: %s, however it is signed', async (coding, encode) => {
      const plain = orderBody(1010);
      const encoded = encode(plain);
      for (const signature of [sign(encoded, KEY), sign(plain, KEY)]) {
        const reply = await send(encoded, { 'x-dropea-hmac-sha256': signature, 'content-encoding': coding });
        expectProblem(reply, 415, 'unsupported-content-encoding');
        expect(reply.headers.get('accept-encoding')).toBe('identity');
      }
    });

    it('accepts Content-Encoding: identity', async () => {
      const body = orderBody(1011);
      await expectAccepted(body, '1011', signed(body, { 'content-encoding': 'identity' }));
    });
  });

  describe('JSON', () => {
    it('answers 400 to a repeated member name, which JSON parsers disagree on', async () => {
      const body = orderBody(1020).replace('"order_id":1020', '"order_id":1020,"order_id":1021');
      const reply = await send(body);
      expectProblem(reply, 400, 'duplicate-member');
      expect(reply.body['detail']).toContain('"order_id"');
    });

    it.each([
      ['__proto__', '{"__proto__":{"polluted":true},"topic":"order:status_update"}'],
      ['__proto__ escaped', '{"\\u005f_proto__":{"polluted":true}}'],
      ['__proto__ nested', `${orderBody(1022).slice(0, -1)},"extra":[{"__proto__":{"polluted":true}}]}`],
      ['constructor.prototype', orderBody(1023, { constructor: { prototype: { polluted: true } } })],
    ])('answers 400 to a member that reaches a prototype (%s)', async (_name, body) => {
      expectProblem(await send(body), 400, 'forbidden-member');
    });

    it('accepts constructor and prototype members that reach nothing, and pollutes no prototype', async () => {
      const body = orderBody(1024, { constructor: 'x', prototype: { polluted: true } });
      await expectAccepted(body, '1024');
      expect((await recordOf('1024')).value['data']).toMatchObject({ source_payload: { constructor: 'x', prototype: { polluted: true } } });
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
    });

    it('answers 400 to JSON nested 10,000 deep, and keeps serving', async () => {
      const body = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY_BYTES);
      expectProblem(await send(body), 400, 'nesting-too-deep');
      const arrays = '['.repeat(10_000) + ']'.repeat(10_000);
      expectProblem(await send(arrays), 400, 'nesting-too-deep');
      expect((await fetch(`${relay.url}/health/ready`)).status).toBe(200);
    });

    it.each([
      ['a lone continuation byte', Buffer.from([0x80])],
      ['0xFF', Buffer.from([0xff])],
      ['an overlong "/"', Buffer.from([0xc0, 0xaf])],
      ['a UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ])('answers 400 to invalid UTF-8 (%s) instead of replacing it', async (_name, bad) => {
      const text = orderBody(1025, { note: '@' });
      const at = text.indexOf('@');
      const body = Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at + 1))]);
      expectProblem(await send(body), 400, 'invalid-utf8');
    });

    it('ignores a UTF-8 byte order mark: the event is the one without it', async () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(orderBody(1026))]);
      await expectAccepted(body, '1026');
      expect((await recordOf('1026')).value['data']).toMatchObject({ source_payload: JSON.parse(orderBody(1026)) });
    });
  });

  describe('ids', () => {
    it.each([
      ['2^53', '9007199254740992'],
      ['2^53 + 1, which JSON.parse rounds to 2^53', '9007199254740993'],
      ['-0', '-0'],
      ['0.5', '0.5'],
      ['"265494", a string', '"265494"'],
    ])('answers 422 to %s as an order id', async (_name, idText) => {
      const reply = await send(orderWithIdText(idText));
      expectProblem(reply, 422, 'validation-failed');
      expect((reply.body['errors'] as { field: string }[]).map((error) => error.field)).toEqual(['order_id']);
    });

    it('answers 400 to 1e400, which JSON.parse would make Infinity, as an id or anywhere else', async () => {
      expectProblem(await send(orderWithIdText('1e400')), 400, 'number-out-of-range');
      expectProblem(await send(orderBody(1027, { amount: 0 }).replace('"amount":0', '"amount":-1e309')), 400, 'number-out-of-range');
    });

    it('takes 1.0 for the integer 1 (the same JSON number) and 2^53 - 1 as the largest id', async () => {
      await expectAccepted(orderWithIdText('1.0'), '1');
      expect((await recordOf('1')).value).toMatchObject({ partitionkey: '1', data: { entity_id: 1 } });
      await expectAccepted(orderWithIdText('9007199254740991'), '9007199254740991');
      expect((await recordOf('9007199254740991')).value).toMatchObject({ data: { entity_id: 9007199254740991 } });
    });
  });

  describe('headers', () => {
    /** node:http sends each value of an array as a header line of its own. */
    const sendWithHeaders = (body: string, headers: Record<string, string | string[]>): Promise<{ status: number; body: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const url = new URL(`${relay.url}${ORDERS}`);
        const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
        });
        request.on('error', reject);
        request.end(body);
      });

    it('answers 401 to several X-Dropea-Hmac-Sha256 headers, even when each one is right', async () => {
      const body = orderBody(1030);
      const digest = sign(body, KEY);
      for (const values of [[digest, digest], [digest, sign(body, 'other')], [sign(body, 'other'), digest]]) {
        const reply = await sendWithHeaders(body, { 'x-dropea-hmac-sha256': values });
        expect(reply).toMatchObject({ status: 401, body: { type: 'urn:dropea-relay:problem:signature-invalid' } });
      }
    });

    it('accepts an 8 KB header', async () => {
      const body = orderBody(1031);
      await expectAccepted(body, '1031', signed(body, { 'x-padding': 'p'.repeat(8 * 1024) }));
    });

    it('answers 431 problem+json to headers over 16 KB, and closes the connection', async () => {
      const body = orderBody(1032);
      const reply = await rawExchange(relay.url, [head([`X-Padding: ${'p'.repeat(17 * 1024)}`, 'Content-Type: application/json', `Content-Length: ${body.length}`]), body]);
      expect(reply.status).toBe(431);
      expect(reply.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(reply.body)).toMatchObject({ type: 'urn:dropea-relay:problem:headers-too-large', status: 431 });
      expect(reply.closedAfterMs).toBeDefined();
    });

    it('answers 400 problem+json to bytes that are not HTTP', async () => {
      const reply = await rawExchange(relay.url, ['HELLO\r\n\r\n']);
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body)).toMatchObject({ type: 'urn:dropea-relay:problem:malformed-request', status: 400 });
    });
  });

  describe('methods', () => {
    it.each([
      ['GET', ORDERS, 'POST'],
      ['PUT', '/webhooks/dropea', 'POST'],
      ['PATCH', '/webhooks/dropea/incidences', 'POST'],
      ['POST', '/health/ready', 'GET, HEAD'],
      ['DELETE', '/metrics', 'GET, HEAD'],
    ])('answers %s %s with 405 problem+json and Allow: %s', async (method, path, allow) => {
      const response = await fetch(`${relay.url}${path}`, { method });
      expect({ status: response.status, allow: response.headers.get('allow'), type: response.headers.get('content-type') }).toEqual({
        status: 405,
        allow,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
      expect(await response.json()).toMatchObject({ type: 'urn:dropea-relay:problem:method-not-allowed', status: 405 });
    });

    it('answers QUERY with 405 before looking at its body (RFC 10008 would 400 one with no Content-Type)', async () => {
      const reply = await rawExchange(relay.url, ['QUERY /webhooks/dropea/orders HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n']);
      expect({ status: reply.status, allow: reply.headers['allow'] }).toEqual({ status: 405, allow: 'POST' });
    });
  });

  it('published exactly the requests it accepted, and dead-lettered only authenticated 422s', async () => {
    for (const id of accepted) await recordOf(id);
    // Every request above was answered before this test, so anything published would be here.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const keys = reader.records.filter((record) => record.topic !== topics.KAFKA_TOPIC_DLQ).map((record) => record.key);
    expect(keys.sort()).toEqual([...accepted].sort());
    const deadLetters = reader.records.filter((record) => record.topic === topics.KAFKA_TOPIC_DLQ);
    expect(deadLetters.map((record) => record.headers['dlq_reason'])).toEqual(Array(5).fill('validation_failed'));
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  });
});

describe('slow clients', () => {
  const topics = uniqueTopics('slow');
  let relay: RunningRelay;
  const timeouts = { HTTP_REQUEST_TIMEOUT_MS: '3000', HTTP_CONNECTION_TIMEOUT_MS: '2000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '200', PUBLISH_TIMEOUT_MS: '1000' };

  beforeAll(async () => {
    relay = await startRelay({ ...topics, DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY, ...timeouts });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('answers 408 problem+json to a request dripped byte by byte (slowloris), within HTTP_REQUEST_TIMEOUT_MS', async () => {
    const body = orderBody(2001);
    const request = head(['Content-Type: application/json', `Content-Length: ${body.length}`, `X-Dropea-Hmac-Sha256: ${sign(body, KEY)}`]) + body;
    // One byte every 100 ms keeps the socket busy (the connection timeout never fires) but
    // would take over 30 s to finish.
    const reply = await rawExchange(relay.url, [...request], { gapMs: 100, timeoutMs: 15_000 });
    expect(reply.status).toBe(408);
    expect(JSON.parse(reply.body)).toMatchObject({ type: 'urn:dropea-relay:problem:request-timeout', status: 408 });
    // Node checks its request timers once a second (http/server-options.ts).
    expect(reply.closedAfterMs).toBeGreaterThanOrEqual(3000);
    expect(reply.closedAfterMs).toBeLessThan(5500);
  });

  it('closes a connection that never sends a byte after HTTP_CONNECTION_TIMEOUT_MS', async () => {
    const reply = await rawExchange(relay.url, [], { timeoutMs: 10_000 });
    expect(reply.status).toBeUndefined();
    // Before the request timeout (3 s), which would have answered 408.
    expect(reply.closedAfterMs).toBeGreaterThanOrEqual(1900);
    expect(reply.closedAfterMs).toBeLessThan(2900);
  });

  it('closes an idle kept-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const body = orderBody(2002);
    const reply = await rawExchange(relay.url, [head(['Content-Type: application/json', `Content-Length: ${body.length}`, `X-Dropea-Hmac-Sha256: ${sign(body, KEY)}`]) + body], {
      timeoutMs: 10_000,
    });
    expect(reply.status).toBe(202);
    // Node keeps a kept-alive socket 1 s longer than keepAliveTimeout, so that a client told
    // the timeout in the Keep-Alive header never races the close; still before the 2 s
    // connection timeout would have closed it.
    const idleMs = reply.closedAfterMs! - reply.answeredAfterMs!;
    expect(idleMs).toBeGreaterThanOrEqual(1150);
    expect(idleMs).toBeLessThan(1900);
  });
});
