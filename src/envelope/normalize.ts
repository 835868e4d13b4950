import {
  ENTITY_KIND_BY_TOPIC,
  EVENT_TYPE_BY_TOPIC,
  type CloudEvent,
  type ReceiptFacts,
  type StatusChange,
} from './envelope.js';
import { eventId } from './event-id.js';
import { parseUpdatedAt } from './madrid-time.js';
import { canonicalStatusName, isKnownStatus } from './status.js';

/**
 * Builds the canonical envelope (CONTRACT.md §2) from a validated status change. Pure: the same
 * arguments always give an equal envelope. `source_payload` is the received object itself.
 *
 * Throws only if `updatedAt` does not parse, which validation (`parseUpdatedAt`) rules out first.
 */
export function normalize(change: StatusChange, facts: ReceiptFacts): CloudEvent {
  const parsed = parseUpdatedAt(change.updatedAt);
  if (!parsed.ok) throw new Error(`updated_at: ${parsed.reason}`);
  const time = parsed.value;
  const kind = ENTITY_KIND_BY_TOPIC[change.topic];
  const previousStatus = change.previousStatus === null ? null : canonicalStatusName(change.previousStatus);
  const status = canonicalStatusName(change.status);
  const entityKey = String(change.entityId);

  return {
    specversion: '1.0',
    id: eventId({
      source: facts.source,
      topic: change.topic,
      entityId: change.entityId,
      previousStatus,
      status,
      utcTime: time.utcTime,
    }),
    source: facts.source,
    type: EVENT_TYPE_BY_TOPIC[change.topic],
    subject: entityKey,
    time: time.utcTime,
    datacontenttype: 'application/json',
    partitionkey: entityKey,
    data: {
      entity: kind,
      entity_id: change.entityId,
      previous_status: previousStatus,
      status,
      occurred_at_local: time.localTime,
      utc_offset: time.utcOffset,
      received_at: facts.receivedAt.toISOString(),
      source_payload: change.sourcePayload,
    },
  };
}

/**
 * The canonical statuses of an envelope that are outside the documented vocabulary of its
 * entity kind (previous first, no repeats), for the unknown-status counter.
 */
export function unknownStatuses(event: CloudEvent): string[] {
  const { entity, previous_status: previous, status } = event.data;
  const unknown: string[] = [];
  if (previous !== null && !isKnownStatus(entity, previous)) unknown.push(previous);
  if (!isKnownStatus(entity, status) && status !== previous) unknown.push(status);
  return unknown;
}
