import { post } from './http.js';
import type { ReadRecord } from './kafka-reader.js';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Dropea's documented payloads, byte for byte (test/fixtures/dropea/README.md). */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/dropea/', import.meta.url));

export interface Fixture {
  readonly file: string;
  /** The exact bytes, as signed and sent. */
  readonly raw: Buffer;
  readonly json: Record<string, unknown>;
  readonly route: '/webhooks/dropea/orders' | '/webhooks/dropea/incidences';
  readonly entityId: number;
}

export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = readFileSync(`${FIXTURE_DIR}${file}`);
      const json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const isOrder = json['topic'] === 'order:status_update';
      return {
        file,
        raw,
        json,
        route: isOrder ? '/webhooks/dropea/orders' : '/webhooks/dropea/incidences',
        entityId: (isOrder ? json['order_id'] : json['incidence_id']) as number,
      };
    });
}

/** What each fixture must become, from the facts table of test/fixtures/dropea/README.md. */
export interface Expected {
  readonly type: string;
  readonly entity: 'order' | 'incidence';
  readonly previous_status: string;
  readonly status: string;
  readonly time: string;
  readonly occurred_at_local: string;
  readonly utc_offset: string;
}

const order = (previous: string, status: string, time: string, local: string): Expected => ({
  type: 'com.dropea.order.status_changed',
  entity: 'order',
  previous_status: previous,
  status,
  time,
  occurred_at_local: local,
  utc_offset: local.startsWith('2025-02') ? '+01:00' : '+02:00',
});
const incidence = (previous: string, status: string, time: string, local: string): Expected => ({
  ...order(previous, status, time, local),
  type: 'com.dropea.incidence.status_changed',
  entity: 'incidence',
});

export const EXPECTED: Readonly<Record<string, Expected>> = {
  'order-confirmed-to-cancelled.json': order('confirmed', 'cancelled', '2025-05-29T12:14:58Z', '2025-05-29T14:14:58'),
  'order-pending-to-confirmed.json': order('pending', 'confirmed', '2025-05-29T12:14:58Z', '2025-05-29T14:14:58'),
  'order-error-to-pending.json': order('error', 'pending', '2025-05-29T12:38:05Z', '2025-05-29T14:38:05'),
  'incidence-pending-to-client-managed.json': incidence('pending', 'client_managed', '2025-02-13T13:23:56Z', '2025-02-13T14:23:56'),
  'incidence-client-managed-to-solution-sent.json': incidence('client_managed', 'solution_sent', '2025-05-29T14:10:45Z', '2025-05-29T16:10:45'),
  'incidence-client-managed-to-resolution-sent-en.json': incidence('client_managed', 'solution_sent', '2025-05-29T14:10:45Z', '2025-05-29T16:10:45'),
  'incidence-solution-sent-to-resolved.json': incidence('solution_sent', 'resolved', '2025-05-29T15:42:30Z', '2025-05-29T17:42:30'),
};

/**
 * Sends every fixture to its route (every other one with `traceparent`) and waits until the
 * reader holds the 6 events they make: 7 documented payloads, two of which spell one
 * incidence status two ways and so are one event.
 */
export async function publishFixtures(
  url: string,
  reader: { waitFor(topic: string, count: number): Promise<ReadRecord[]> },
  topics: { orders: string; incidences: string },
  traceparent: string,
): Promise<ReadRecord[]> {
  for (const [index, fixture] of loadFixtures().entries()) {
    const headers = index % 2 === 0 ? { traceparent } : undefined;
    const status = (await post(`${url}${fixture.route}`, fixture.raw, { headers })).status;
    if (status >= 300) throw new Error(`${fixture.file} answered ${status}`);
  }
  return [...(await reader.waitFor(topics.orders, 3)), ...(await reader.waitFor(topics.incidences, 3))];
}
