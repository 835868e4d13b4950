import type { ReadRecord } from './kafka-reader.js';
import { seqOf, type Sent } from './steady-load.js';

/** What a fault test reports: how requests were answered, and what Kafka holds of them. */
export interface DeliveryFigures {
  readonly requests: number;
  readonly accepted: number;
  readonly unavailable: number;
  readonly connectionFailures: number;
  readonly otherStatuses: readonly number[];
  /** Acknowledged (2xx) events that Kafka does not hold: must be 0. */
  readonly lost: number;
  /** Entities whose acknowledged events Kafka holds out of the order they were acknowledged in: must be 0. */
  readonly orderViolations: number;
  /** Records beyond the first of an event id (at-least-once allows them). */
  readonly duplicateRecords: number;
}

/**
 * Compares what the senders were told with what a consumer reads. Per entity, the first
 * occurrences of its acknowledged changes must come in the order they were acknowledged (each
 * entity's changes were sent one after another); a repeated record is a duplicate, not a
 * violation; records of changes that got a 503 may or may not be there.
 */
export function checkDelivery(sent: readonly Sent[], records: readonly ReadRecord[]): DeliveryFigures {
  const acknowledged = sent.filter((s) => s.status >= 200 && s.status < 300);
  const ids = new Set(records.map((record) => record.value['id'] as string));
  const lost = acknowledged.filter((s) => s.id === undefined || !ids.has(s.id)).length;

  const ackedSeqs = new Map<number, Set<number>>();
  for (const s of acknowledged) {
    const seqs = ackedSeqs.get(s.key) ?? new Set<number>();
    seqs.add(s.seq);
    ackedSeqs.set(s.key, seqs);
  }
  let orderViolations = 0;
  let duplicateRecords = 0;
  const recordsByKey = new Map<string, ReadRecord[]>();
  for (const record of records) recordsByKey.set(record.key, [...(recordsByKey.get(record.key) ?? []), record]);
  for (const [key, mine] of recordsByKey) {
    const seen = new Set<number>();
    let last = 0;
    let violated = false;
    for (const record of mine) {
      const seq = seqOf(record.value);
      if (seen.has(seq)) {
        duplicateRecords++;
        continue;
      }
      seen.add(seq);
      if (!ackedSeqs.get(Number(key))?.has(seq)) continue;
      if (seq < last) violated = true;
      last = seq;
    }
    if (violated) orderViolations++;
  }
  const statuses = sent.map((s) => s.status);
  return {
    requests: sent.length,
    accepted: acknowledged.length,
    unavailable: statuses.filter((status) => status === 503).length,
    connectionFailures: statuses.filter((status) => status === 0).length,
    otherStatuses: [...new Set(statuses.filter((status) => status !== 0 && status !== 503 && (status < 200 || status >= 300)))],
    lost,
    orderViolations,
    duplicateRecords,
  };
}
