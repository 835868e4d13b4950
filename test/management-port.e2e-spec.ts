import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { post, sign } from './support/http.js';
import { parseExposition } from './support/prometheus-text.js';
import { rawExchange } from './support/raw-http.js';
import { uniqueTopics, waitUntilReady } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';
import { runProcess } from './support/run-process.js';
import { TEST_BROKER } from './support/test-broker.mjs';
import { orderBody } from './support/webhook-bodies.js';

/**
 * MANAGEMENT_PORT (README, Configuration): the probes and /metrics on a listener of their own,
 * and not on the webhook port, so whatever exposes the webhooks (an Ingress) never exposes
 * them. The relay runs as its own process, `node dist/main.js`, as a pod runs it: its start-up
 * log and its SIGTERM are the real ones.
 */

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const KEY = 'management-port-key';
const ORDERS = '/webhooks/dropea/orders';
const MANAGEMENT_ROUTES = ['/metrics', '/health/live', '/health/ready'];
const MANAGEMENT_LINE = /Management routes: GET (http:\/\/[^\s/]+)\/metrics, GET \1\/health\/live, GET \1\/health\/ready"/;

/** The management routes' base URL, from the start-up log line that names them. */
async function managementUrlOf(relay: RelayProcess): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const base = MANAGEMENT_LINE.exec(relay.logs)?.[1];
    if (base !== undefined) return base;
    if (Date.now() > deadline) throw new Error(`no "Management routes" line in:\n${relay.logs}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function signedPost(url: string, body: string): Promise<Awaited<ReturnType<typeof post>>> {
  return post(url, body, { headers: { 'X-Dropea-Hmac-Sha256': sign(body, KEY) } });
}

/** True when nothing listens at the URL's port any more. */
async function refused(url: string): Promise<boolean> {
  return fetch(`${url}/health/live`).then(
    async (response) => {
      await response.body?.cancel();
      return false;
    },
    () => true,
  );
}

describe('MANAGEMENT_PORT set', () => {
  let relay: RelayProcess;
  let webhooks: string;
  let management: string;

  beforeAll(async () => {
    // Port 0 for both: two free ports, whatever else runs on this machine.
    relay = await RelayProcess.start(
      { ...uniqueTopics('management'), DROPEA_API_KEYS: KEY, DROPEA_SIGNATURE_MODE: 'required', MANAGEMENT_PORT: '0' },
      { waitReady: false },
    );
    webhooks = relay.url;
    management = (await managementUrlOf(relay)).replace('[::1]', '127.0.0.1');
    await waitUntilReady(management);
  });

  afterAll(async () => {
    await relay?.kill('SIGKILL');
  });

  it('logs the management routes on their own port, beside the webhook routes', () => {
    expect(new URL(management).port).not.toBe(new URL(webhooks).port);
    expect(new URL(management).hostname).toBe('127.0.0.1'); // MANAGEMENT_HOST defaults to HOST
    expect(relay.logs).toContain(`POST http://127.0.0.1:${new URL(webhooks).port}${ORDERS}`);
  });

  it('serves the probes and the metrics on the management port', async () => {
    const live = await fetch(`${management}/health/live`);
    expect({ status: live.status, body: await live.json() }).toEqual({ status: 200, body: { status: 'ok' } });
    const ready = await fetch(`${management}/health/ready`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ok', kafka: 'up' } });
    const metrics = await fetch(`${management}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(parseExposition(await metrics.text()).value('dropea_relay_ready')).toBe(1);
  });

  it.each(MANAGEMENT_ROUTES)('answers GET %s on the webhook port with 404 problem+json', async (route) => {
    const response = await fetch(`${webhooks}${route}`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ type: 'urn:dropea-relay:problem:not-found', status: 404 });
  });

  it('takes webhooks on the webhook port only; the management port answers them 404, and another method on its routes 405', async () => {
    const body = orderBody(8801);
    const accepted = await signedPost(`${webhooks}${ORDERS}`, body);
    expect(accepted).toMatchObject({ status: 202, body: { status: 'published' } });
    const elsewhere = await signedPost(`${management}${ORDERS}`, orderBody(8802));
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(elsewhere.body).toMatchObject({ type: 'urn:dropea-relay:problem:not-found' });
    const posted = await post(`${management}/metrics`, '{}');
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET, HEAD');
    // The scrape reads the registry the webhook port counts into.
    const exposition = parseExposition(await (await fetch(`${management}/metrics`)).text());
    expect(exposition.value('dropea_relay_webhook_requests_total', { route: ORDERS, outcome: 'published', code: '202' })).toBe(1);
  });

  it('on SIGTERM: readiness 503 on the management port while a webhook drains, metrics still served, then both ports closed and exit 0', async () => {
    const body = orderBody(8803);
    // A webhook in flight: its headers now, its body 1.5 s later, so the drain has something to wait for.
    const inFlight = rawExchange(
      webhooks,
      [
        `POST ${ORDERS} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Dropea-Hmac-Sha256: ${sign(body, KEY)}\r\n\r\n`,
        body,
      ],
      { gapMs: 1_500, timeoutMs: 20_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = relay.kill('SIGTERM');
    const deadline = Date.now() + 1_000;
    let ready = await fetch(`${management}/health/ready`);
    while (ready.status === 200 && Date.now() < deadline) {
      await ready.body?.cancel();
      ready = await fetch(`${management}/health/ready`);
    }
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await ready.json()).toMatchObject({ type: 'urn:dropea-relay:problem:not-ready', detail: 'The relay is shutting down' });
    const scrape = await fetch(`${management}/metrics`);
    expect(scrape.status).toBe(200);
    expect(parseExposition(await scrape.text()).value('dropea_relay_webhooks_in_flight')).toBe(1);
    // The webhook listener no longer takes connections; the one in flight is answered.
    expect(await refused(webhooks)).toBe(true);
    expect(await inFlight).toMatchObject({ status: 202, headers: { connection: 'close' } });
    expect(await exited).toBe(0);
    expect(await refused(management)).toBe(true);
    expect(relay.logs).toContain('SIGTERM received, shutting down');
  });
});

describe('MANAGEMENT_PORT unset', () => {
  it('serves everything on PORT, as before, and logs the management routes there', async () => {
    const relay = await RelayProcess.start(uniqueTopics('management-unset'));
    try {
      expect(MANAGEMENT_LINE.exec(relay.logs)?.[1]).toBe(relay.url);
      for (const route of MANAGEMENT_ROUTES) expect({ route, status: (await fetch(`${relay.url}${route}`)).status }).toEqual({ route, status: 200 });
    } finally {
      expect(await relay.kill('SIGTERM')).toBe(0);
    }
  });
});

describe('MANAGEMENT_PORT refused', () => {
  it.each([
    [{ MANAGEMENT_PORT: 'metrics' }, 'MANAGEMENT_PORT must be an integer from 0 to 65535, got "metrics"'],
    [{ PORT: '3000', MANAGEMENT_PORT: '3000' }, 'MANAGEMENT_PORT must differ from PORT (3000)'],
    [{ MANAGEMENT_HOST: '127.0.0.1' }, 'MANAGEMENT_HOST is set ("127.0.0.1") without MANAGEMENT_PORT'],
  ])('%j stops the start with exit 78 (EX_CONFIG), naming the variable', async (env, message) => {
    const exit = await runProcess(process.execPath, [MAIN], { KAFKA_BROKERS: TEST_BROKER, HOST: '127.0.0.1', PORT: '0', ...env });
    expect(exit.code).toBe(78);
    expect(exit.stderr).toContain(message);
  });
});
