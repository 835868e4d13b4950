/**
 * The canonical envelope the relay writes to Kafka (CONTRACT.md §2): a CloudEvents 1.0 event
 * in structured JSON mode, one shape for both Dropea topics.
 * https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md
 */

export type EntityKind = 'order' | 'incidence';

export type WebhookTopic = 'order:status_update' | 'incidence:status_update';

/** A webhook body that passed validation, reduced to what the envelope is built from. */
export interface StatusChange {
  topic: WebhookTopic;
  /** `order_id` or `incidence_id`, a JSON integer in 1..2^53−1. */
  entityId: number;
  /** `prev_status` as received (null when null or absent). */
  previousStatus: string | null;
  /** `new_status` as received. */
  status: string;
  /** `updated_at` as received. */
  updatedAt: string;
  /** The parsed request body, exactly as received; unknown fields included. */
  sourcePayload: Record<string, unknown>;
}

/** What the relay itself knows about a delivery; kept out of `StatusChange` so `normalize` stays pure. */
export interface ReceiptFacts {
  receivedAt: Date;
  /** CloudEvents `source`: `CE_SOURCE` (default `dropea`, see config/webhooks.config.ts). */
  source: string;
}

export interface CloudEventData {
  entity: EntityKind;
  entity_id: number;
  previous_status: string | null;
  status: string;
  /** Wall-clock time of `updated_at` without offset, e.g. `2025-05-29T14:14:58`. */
  occurred_at_local: string;
  /** Offset of `occurred_at_local` from UTC, e.g. `+02:00`. */
  utc_offset: string;
  /** When the relay received the request, `Date#toISOString()` form. */
  received_at: string;
  source_payload: Record<string, unknown>;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: CloudEventType;
  /** The entity id as a decimal string. */
  subject: string;
  /** The instant of `updated_at`, RFC 3339 in UTC with `Z`. */
  time: string;
  datacontenttype: 'application/json';
  /** Partitioning extension: the entity id as a decimal string, also the Kafka record key.
   *  https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/extensions/partitioning.md */
  partitionkey: string;
  data: CloudEventData;
}

export type CloudEventType = 'com.dropea.order.status_changed' | 'com.dropea.incidence.status_changed';

export const WEBHOOK_TOPICS: readonly WebhookTopic[] = ['order:status_update', 'incidence:status_update'];

export const ENTITY_KIND_BY_TOPIC: Readonly<Record<WebhookTopic, EntityKind>> = {
  'order:status_update': 'order',
  'incidence:status_update': 'incidence',
};

export const EVENT_TYPE_BY_TOPIC: Readonly<Record<WebhookTopic, CloudEventType>> = {
  'order:status_update': 'com.dropea.order.status_changed',
  'incidence:status_update': 'com.dropea.incidence.status_changed',
};
