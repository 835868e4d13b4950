import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { post, sign, type Reply } from './support/http.js';
import { jsonLogLines } from './support/log-lines.js';
import { parseExposition } from './support/prometheus-text.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';
import { orderBody } from './support/webhook-bodies.js';

const KEY = 'e2e-floods-key';
const ORDERS = '/webhooks/dropea/orders';


const sendSigned = (url: string, id: number, headers: Record<string, string> = {}): Promise<Reply> => {
  const body = orderBody(id);
  return post(`${url}${ORDERS}`, body, { headers: { 'x-dropea-hmac-sha256': sign(body, KEY), ...headers } });
};

describe('per-client rate limit', () => {
  const WINDOW_MS = 2_000;
  let relay: RunningRelay;

  beforeAll(async () => {
    relay = await startRelay({
      ...uniqueTopics('rate-limit'),
      DROPEA_SIGNATURE_MODE: 'required',
      DROPEA_API_KEYS: KEY,
      RATE_LIMIT_MAX: '3',
      RATE_LIMIT_WINDOW_MS: String(WINDOW_MS),
      // The tests stand in for clients behind an ingress on this machine.
      TRUST_PROXY: 'loopback',
    });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('answers 429 problem+json with Retry-After past RATE_LIMIT_MAX, and accepts again once the window has passed', async () => {
    const client = { 'x-forwarded-for': '203.0.113.10' };
    // Sent at once, so all five fall in one window however long Kafka takes with the first.
    const replies = await Promise.all([1, 2, 3, 4, 5].map((id) => sendSigned(relay.url, id, client)));
    // The limit is checked before anything else, whatever becomes of the requests it lets through.
    const limitedReplies = replies.filter((reply) => reply.status === 429);
    expect(limitedReplies).toHaveLength(2);
    const limited = limitedReplies[0]!;
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(limited.body).toEqual({
      type: 'urn:dropea-relay:problem:rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'More than 3 webhooks in 2 s from this client',
    });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000).toBe(true);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');

    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    expect((await sendSigned(relay.url, 6, client)).status).not.toBe(429);
  });

  it('counts each client apart, by the address the trusted proxy forwards', async () => {
    const limitedOf = async (address: string): Promise<number> => {
      const replies = await Promise.all([10, 11, 12, 13].map((id) => sendSigned(relay.url, id, { 'x-forwarded-for': address })));
      return replies.filter((reply) => reply.status === 429).length;
    };
    const addresses = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
    const limited = await Promise.all(addresses.map(limitedOf));
    expect(limited).toEqual([1, 1, 1]);
  });

  it('never limits the probes, /metrics or /docs', async () => {
    const client = { 'x-forwarded-for': '203.0.113.99' };
    for (let i = 0; i < 10; i++) {
      for (const path of ['/health/live', '/health/ready', '/metrics', '/docs-json']) {
        expect({ path, status: (await fetch(`${relay.url}${path}`, { headers: client })).status }).toEqual({ path, status: 200 });
      }
    }
  });

  it('counts refused requests in the metrics as 429s', async () => {
    const metrics = parseExposition(await (await fetch(`${relay.url}/metrics`)).text());
    expect(metrics.value('dropea_relay_webhook_requests_total', { route: ORDERS, outcome: 'rejected', code: '429' })).toBeGreaterThanOrEqual(5);
  });
});

describe('rate limit off (the default)', () => {
  let relay: RunningRelay;

  beforeAll(async () => {
    relay = await startRelay({ ...uniqueTopics('no-rate-limit'), DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY });
  });

  afterAll(async () => {
    await relay?.close();
  });

  it('takes 200 webhooks from one client in a burst', async () => {
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => sendSigned(relay.url, 100 + i)));
    expect(replies.filter((reply) => reply.status === 202)).toHaveLength(200);
    expect(replies.some((reply) => reply.headers.has('x-ratelimit-limit'))).toBe(false);
  });
});

describe('a flood of forged signatures', () => {
  const FORGED = 2_000;
  let relay: RelayProcess;
  let metricsText: string;
  let lines: Record<string, unknown>[];

  beforeAll(async () => {
    relay = await RelayProcess.start({ ...uniqueTopics('forged'), LOG_LEVEL: 'info', DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY });
    const body = orderBody(1);
    const forged = sign(body, 'not-the-key');
    for (let sent = 0; sent < FORGED; sent += 100) {
      const replies = await Promise.all(
        Array.from({ length: 100 }, () => post(`${relay.url}${ORDERS}`, body, { headers: { 'x-dropea-hmac-sha256': forged } })),
      );
      expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([401]));
    }
    metricsText = await (await fetch(`${relay.url}/metrics`)).text();
    // The summary of what the last window left out is written when the relay closes, at the latest.
    expect(await relay.kill('SIGTERM')).toBe(0);
    lines = jsonLogLines(relay.logs);
  });

  afterAll(async () => {
    await relay?.kill('SIGKILL');
  });

  it('counts every forged request', () => {
    const metrics = parseExposition(metricsText);
    expect(metrics.value('dropea_relay_signature_checks_total', { result: 'invalid' })).toBe(FORGED);
    expect(metrics.value('dropea_relay_webhook_requests_total', { route: ORDERS, outcome: 'rejected', code: '401' })).toBe(FORGED);
  });

  it('logs a bounded number of them, naming the problem and the client, and how many it left out', () => {
    const logged = lines.filter((line) => line['msg'] === 'webhook' && line['status_code'] === 401);
    // 20 per 10 s window: the flood took at most a few windows.
    expect(logged.length).toBeGreaterThanOrEqual(20);
    expect(logged.length).toBeLessThanOrEqual(80);
    expect(logged[0]).toMatchObject({ level: 'warn', problem: 'signature-invalid', client_address: '127.0.0.1', outcome: 'rejected' });
    const suppressed = lines
      .filter((line) => line['msg'] === 'webhook lines suppressed')
      .map((line) => (line['suppressed_by_status'] as Record<string, number>)['401'] ?? 0);
    expect(suppressed.length).toBeGreaterThanOrEqual(1);
    expect(logged.length + suppressed.reduce((sum, count) => sum + count, 0)).toBe(FORGED);
  });
});
