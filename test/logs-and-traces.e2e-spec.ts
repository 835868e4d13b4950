import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadFixtures } from './support/fixtures.js';
import { post, sign } from './support/http.js';
import { KafkaReader } from './support/kafka-reader.js';
import { jsonLogLines } from './support/log-lines.js';
import { uniqueTopics } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';

const KEY = 'log-e2e-secret-api-key-5f1c0b';
const ORDERS = '/webhooks/dropea/orders';
const fixture = loadFixtures().find((candidate) => candidate.route === ORDERS)!;

describe('logs', () => {
  const topics = uniqueTopics('logs');
  let relay: RelayProcess;
  let output: string;
  const digests = { hex: sign(fixture.raw, KEY, 'hex'), base64: sign(fixture.raw, KEY, 'base64') };
  const wrong = sign(fixture.raw, 'some-other-key', 'hex');
  const answers: Record<string, unknown>[] = [];

  beforeAll(async () => {
    // The most verbose level, kafkajs's own logs included: nothing at any level may carry a secret.
    relay = await RelayProcess.start({ ...topics, LOG_LEVEL: 'trace', DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY });
    const url = `${relay.url}${ORDERS}`;
    answers.push((await post(url, fixture.raw, { headers: { 'X-Dropea-Hmac-Sha256': digests.hex } })).body);
    answers.push((await post(url, fixture.raw, { headers: { 'X-Dropea-Hmac-Sha256': `sha256=${digests.base64}` } })).body);
    answers.push((await post(url, fixture.raw, { headers: { 'X-Dropea-Hmac-Sha256': wrong } })).body);
    answers.push((await post(url, fixture.raw, { contentType: 'text/plain', headers: { 'X-Dropea-Hmac-Sha256': digests.hex } })).body);
    expect(await relay.kill('SIGTERM')).toBe(0);
    output = relay.logs;
  });

  afterAll(async () => {
    // Only does anything when the test failed before the relay exited.
    await relay?.kill('SIGKILL');
  });

  it('are JSON lines with a level name and a timestamp', () => {
    const lines = jsonLogLines(output);
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(typeof line['level']).toBe('string');
      expect(Number.isNaN(Date.parse(String(line['time'])))).toBe(false);
      expect(typeof line['msg']).toBe('string');
    }
    // Everything the relay prints is JSON: a stray line would break a log pipeline's parser.
    expect(output.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'))).toEqual([]);
  });

  it('write one line per webhook with its event id, entity, outcome and latency', () => {
    const webhooks = jsonLogLines(output).filter((line) => line['msg'] === 'webhook');
    expect(webhooks).toHaveLength(4);
    const [published, duplicate, refused, unsupported] = webhooks;
    expect(published).toMatchObject({
      level: 'info',
      route: ORDERS,
      status_code: 202,
      outcome: 'published',
      event_id: answers[0]!['id'],
      entity: 'order',
      entity_id: fixture.entityId,
      topic: topics.KAFKA_TOPIC_ORDERS,
    });
    expect(duplicate).toMatchObject({ status_code: 200, outcome: 'duplicate', event_id: answers[0]!['id'] });
    // A refusal's line names the problem and, as its answer does, the fix.
    expect(refused).toMatchObject({ level: 'warn', status_code: 401, outcome: 'rejected', problem: 'signature-invalid', detail: answers[2]!['detail'] });
    expect(unsupported).toMatchObject({ level: 'warn', status_code: 415, outcome: 'rejected', detail: answers[3]!['detail'] });
    expect(unsupported!['detail']).toContain('Content-Type: application/json');
    for (const line of webhooks) expect(line['latency_ms']).toEqual(expect.any(Number));
  });

  it('never contain the API key or a signature, in any encoding', () => {
    const secrets = [KEY, digests.hex, digests.hex.toUpperCase(), digests.base64, Buffer.from(digests.hex, 'hex').toString('base64url'), wrong];
    for (const secret of secrets) expect(output).not.toContain(secret);
    // No header dump either: a 401's detail names the header (that is its fix), never as a key with a value.
    expect(output.toLowerCase()).not.toMatch(/\\?"x-dropea-hmac-sha256\\?"\s*:/);
  });
});

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

/** An OTLP/HTTP receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp) keeping the spans it is sent as JSON. */
async function startCollector(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

describe('tracing with OpenTelemetry configured by its standard variables', () => {
  const topics = uniqueTopics('traces');
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentSpanId = '00f067aa0ba902b7';
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let reader: KafkaReader;
  let answer: Record<string, unknown>;
  let exitCode: number | null;
  let relay: RelayProcess | undefined;

  beforeAll(async () => {
    collector = await startCollector();
    relay = await RelayProcess.start({
      ...topics,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'relay-under-test',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!]);
    answer = (
      await post(`${relay.url}${ORDERS}`, fixture.raw, {
        headers: { traceparent: `00-${traceId}-${parentSpanId}-01`, tracestate: 'vendor=opaque' },
      })
    ).body;
    // Spans still buffered are exported on SIGTERM.
    exitCode = await relay.kill('SIGTERM');
  });

  afterAll(async () => {
    await relay?.kill('SIGKILL');
    await reader?.stop();
    await new Promise((resolve) => collector?.server.close(resolve));
  });

  it('exports one SERVER span per webhook, the child of the request traceparent', async () => {
    expect(exitCode).toBe(0);
    const webhookSpans = collector.spans.filter((span) => span.name === `POST ${ORDERS}`);
    expect(webhookSpans).toHaveLength(1);
    const span = webhookSpans[0]!;
    expect(span.traceId).toBe(traceId);
    expect(span.parentSpanId).toBe(parentSpanId);
    expect(span.kind).toBe(2); // SPAN_KIND_SERVER
    const attributes = Object.fromEntries(span.attributes.map(({ key, value }) => [key, value.stringValue ?? String(value.intValue)]));
    expect(attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': ORDERS,
      'http.response.status_code': '202',
      'messaging.system': 'kafka',
      'messaging.destination.name': topics.KAFKA_TOPIC_ORDERS,
      'messaging.message.id': answer['id'],
      'dropea.outcome': 'published',
      'dropea.entity': 'order',
    });
  });

  it("carries the relay's span to the Kafka record, in the request's trace, with its tracestate", async () => {
    const [record] = await reader.waitFor(topics.KAFKA_TOPIC_ORDERS!, 1);
    const span = collector.spans.find((candidate) => candidate.name === `POST ${ORDERS}`)!;
    expect(record!.headers['traceparent']).toBe(`00-${traceId}-${span.spanId}-01`);
    expect(record!.headers['tracestate']).toBe('vendor=opaque');
  });
});
