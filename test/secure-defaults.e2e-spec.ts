import { afterEach, describe, expect, it } from '@jest/globals';
import { post, sign } from './support/http.js';
import { uniqueTopics } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';
import { orderBody } from './support/webhook-bodies.js';

/**
 * Secure by default (CONTRACT.md §1): a relay given API keys checks every webhook's signature
 * unless `optional` is asked for by name, and says so when it is. The relay runs as its own
 * process, `node dist/main.js`, so its start-up log is the one an operator reads.
 */

const KEY = 'secure-default-key';

describe('signatures with keys configured', () => {
  let relay: RelayProcess | undefined;

  afterEach(async () => {
    await relay?.kill('SIGTERM');
    relay = undefined;
  });

  it('are required when DROPEA_SIGNATURE_MODE is unset: an unsigned webhook gets 401, a signed one 202', async () => {
    relay = await RelayProcess.start({ ...uniqueTopics('secure-default'), DROPEA_API_KEYS: KEY });
    const body = orderBody(4101);
    const unsigned = await post(`${relay.url}/webhooks/dropea/orders`, body);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toMatchObject({ type: 'urn:dropea-relay:problem:signature-missing' });
    const signed = await post(`${relay.url}/webhooks/dropea/orders`, body, { headers: { 'X-Dropea-Hmac-Sha256': sign(body, KEY) } });
    expect(signed).toMatchObject({ status: 202, body: { status: 'published' } });
    expect(relay.logs).not.toMatch(/DROPEA_SIGNATURE_MODE=(optional|off)/);
  });

  it('are optional only when asked for by name, and the relay warns of it at start', async () => {
    relay = await RelayProcess.start({ ...uniqueTopics('secure-optional'), DROPEA_API_KEYS: KEY, DROPEA_SIGNATURE_MODE: 'optional' });
    const unsigned = await post(`${relay.url}/webhooks/dropea/orders`, orderBody(4102));
    expect(unsigned).toMatchObject({ status: 202, body: { status: 'published' } });
    const warning = relay.logs.split('\n').find((line) => line.includes('DROPEA_SIGNATURE_MODE=optional'));
    expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', msg: expect.stringContaining('unsigned webhooks are accepted') });
  });
});
