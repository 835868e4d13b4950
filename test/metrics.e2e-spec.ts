import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getHeapStatistics } from 'node:v8';
import { RELAY_VERSION } from '../src/version.js';
import { loadFixtures } from './support/fixtures.js';
import { post, sign } from './support/http.js';
import { parseExposition, type Exposition } from './support/prometheus-text.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { orderBody } from './support/webhook-bodies.js';

const KEY = 'metrics-e2e-key';
const ORDERS = '/webhooks/dropea/orders';
const fixture = loadFixtures().find((candidate) => candidate.route === ORDERS)!;

const body = (fields: Record<string, unknown>): string => orderBody(777001, { prev_status: 'pending', new_status: 'confirmed', ...fields });

/** Signed with the relay's key unless a signature (or null: none) is given. */
async function send(url: string, payload: string | Buffer, signature: string | null = sign(payload, KEY)): Promise<number> {
  const headers: Record<string, string> = signature === null ? {} : { 'X-Dropea-Hmac-Sha256': signature };
  return (await post(`${url}${ORDERS}`, payload, { headers })).status;
}

async function scrape(url: string): Promise<{ response: Response; exposition: Exposition }> {
  const response = await fetch(`${url}/metrics`);
  return { response, exposition: parseExposition(await response.text()) };
}

describe('GET /metrics', () => {
  let relay: RunningRelay;
  let statuses: number[];
  let scraped: { response: Response; exposition: Exposition };

  beforeAll(async () => {
    relay = await startRelay({ ...uniqueTopics('metrics'), DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY });
    statuses = [
      await send(relay.url, fixture.raw), // published
      await send(relay.url, fixture.raw), // the same event again: duplicate
      await send(relay.url, body({ new_status: 'Awaiting Pickup', prev_status: 'on hold' })), // published, two unknown statuses
      await send(relay.url, body({ order_id: 777002 }), sign('another body', KEY)), // invalid signature
      await send(relay.url, body({ order_id: 777003 }), null), // missing signature
      await send(relay.url, body({ order_id: 'x' })), // rule broken: dead letter, then 422
      await send(relay.url, body({ order_id: 'x' })), // the same dead letter again
      await send(relay.url, '{"topic":'), // malformed JSON
    ];
    scraped = await scrape(relay.url);
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('answers the requests as the contract says, so the counts below are of known outcomes', () => {
    expect(statuses).toEqual([202, 200, 202, 401, 401, 422, 422, 400]);
  });

  it('serves the Prometheus text format', () => {
    expect(scraped.response.status).toBe(200);
    expect(scraped.response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('counts requests by route, outcome and status code', () => {
    const count = (outcome: string, code: string) =>
      scraped.exposition.value('dropea_relay_webhook_requests_total', { route: ORDERS, outcome, code });
    expect(count('published', '202')).toBe(2);
    expect(count('duplicate', '200')).toBe(1);
    expect(count('rejected', '401')).toBe(2);
    expect(count('dead_lettered', '422')).toBe(2);
    expect(count('rejected', '400')).toBe(1);
    const durations = scraped.exposition.value('dropea_relay_webhook_duration_seconds_count', { route: ORDERS, outcome: 'published' });
    expect(durations).toBe(2);
  });

  it('counts signature checks by result', () => {
    const checks = (result: string) => scraped.exposition.value('dropea_relay_signature_checks_total', { result });
    expect(checks('valid')).toBe(6);
    expect(checks('invalid')).toBe(1);
    expect(checks('missing')).toBe(1);
  });

  it('counts unknown statuses, dedup hits and dead letters', () => {
    const value = (name: string, labels: Record<string, string>) => scraped.exposition.value(name, labels);
    expect(value('dropea_relay_unknown_statuses_total', { entity: 'order', field: 'status' })).toBe(1);
    expect(value('dropea_relay_unknown_statuses_total', { entity: 'order', field: 'previous_status' })).toBe(1);
    expect(value('dropea_relay_dedup_hits_total', { kind: 'event' })).toBe(1);
    expect(value('dropea_relay_dedup_hits_total', { kind: 'dead_letter' })).toBe(1);
    expect(value('dropea_relay_dead_letters_total', { reason: 'validation_failed' })).toBe(1);
  });

  it('measures publishing: latency per record, records per batch, the connection, nothing left in flight', () => {
    const { exposition } = scraped;
    // Two events and one dead letter reached Kafka.
    expect(exposition.value('dropea_relay_publish_duration_seconds_count', { outcome: 'acknowledged' })).toBe(3);
    expect(exposition.value('dropea_relay_publish_duration_seconds_sum', { outcome: 'acknowledged' })).toBeGreaterThan(0);
    expect(exposition.value('dropea_relay_kafka_batch_records_sum')).toBe(3);
    expect(exposition.value('dropea_relay_kafka_batch_records_count')).toBeGreaterThanOrEqual(1);
    expect(exposition.value('dropea_relay_kafka_connected')).toBe(1);
    expect(exposition.value('dropea_relay_webhooks_in_flight')).toBe(0);
    expect(exposition.value('dropea_relay_spool_records')).toBe(0);
  });

  it('says which release runs on which Node.js: dropea_relay_build_info, version from package.json', () => {
    const version = RELAY_VERSION;
    expect(scraped.exposition.value('dropea_relay_build_info', { version, node_version: process.versions.node })).toBe(1);
  });

  it("gives V8's heap limit beside the heap in use, for an alert before the process runs out of it", () => {
    const { exposition } = scraped;
    expect(exposition.value('dropea_relay_heap_limit_bytes')).toBe(getHeapStatistics().heap_size_limit);
    expect(exposition.value('nodejs_heap_size_used_bytes')).toBeLessThan(exposition.value('dropea_relay_heap_limit_bytes')!);
  });

  it("includes Node's default process metrics", () => {
    const { types } = scraped.exposition;
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(types.has(name)).toBe(true);
    }
  });

  it('names every metric by the Prometheus conventions: _total counters, base units', () => {
    const ours = [...scraped.exposition.types].filter(([name]) => name.startsWith('dropea_relay_'));
    expect(ours.length).toBeGreaterThanOrEqual(12);
    for (const [name, type] of ours) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_(seconds|records)$/);
      expect(name).not.toMatch(/_(ms|milliseconds|kb|mb)(_|$)/);
    }
  });
});
