import type { DeadLetter, WebhookOrigin } from '../dead-letter/dead-letter.js';
import type { CloudEvent } from '../envelope/envelope.js';

/** W3C Trace Context (https://www.w3.org/TR/trace-context/) carried from the request to the record. */
export interface TraceContext {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * The topic that holds the record, once the broker acknowledged it (acks=all); or, when
 * `spooled`, the topic it will reach from the local spool (SPOOL_DIR), where it is on disk.
 */
export interface PublishReceipt {
  readonly topic: string;
  readonly spooled: boolean;
}

/** Kafka did not acknowledge the record in time; the caller must not report success (503, retry later). */
export class PublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/** `topic_missing`: no such topic, or not visible to this client. `topic_not_authorized`: no permission to write it. */
export type TopicProblem = 'topic_missing' | 'topic_not_authorized';

/**
 * The record's topic cannot take records now, and waiting will not change that: only its
 * operator can (create the topic, grant the permission). Nothing was written (503).
 */
export class TopicUnavailableError extends Error {
  constructor(
    readonly topic: string,
    readonly problem: TopicProblem,
    message: string,
  ) {
    super(message);
    this.name = 'TopicUnavailableError';
  }
}

/** `record_too_large`: over the topic's max.message.bytes. `record_invalid`: refused for another reason. */
export type RecordRefusal = 'record_too_large' | 'record_invalid';

/**
 * Kafka refuses this record for good: sending it again cannot succeed. The webhooks that shared
 * its produce request were published as usual. `keptOn` names the dead-letter topic that holds
 * the webhook instead, when it could be kept there.
 */
export class RecordRefusedError extends Error {
  constructor(
    readonly topic: string,
    readonly reason: RecordRefusal,
    message: string,
    readonly keptOn?: string,
  ) {
    super(message);
    this.name = 'RecordRefusedError';
  }
}

/**
 * The port between the HTTP edge and the event log. The edge knows only this interface, so
 * the Kafka adapter behind it (its client, its batching) can change without touching the edge.
 * Both methods resolve only after the record is durably acknowledged, and otherwise reject
 * with one of the three errors above.
 */
export interface EventPublisher {
  /** `origin` is the webhook the event came from: kept on the dead-letter topic should Kafka refuse the event's record. */
  publish(event: CloudEvent, origin: WebhookOrigin): Promise<PublishReceipt>;
  /** Keeps a webhook that could not become an event on the dead-letter topic, with the same guarantee. */
  deadLetter(letter: DeadLetter): Promise<PublishReceipt>;
}

export const EVENT_PUBLISHER = Symbol('EventPublisher');

/** Whether the relay should be sent webhooks now, and if not, why: what `/health/ready` reports. */
export interface Readiness {
  readonly ready: boolean;
  /** One sentence per reason it is not ready, each naming what would fix it. */
  readonly problems: readonly string[];
}

export interface PublisherHealth {
  readiness(): Promise<Readiness>;
}

export const PUBLISHER_HEALTH = Symbol('PublisherHealth');
