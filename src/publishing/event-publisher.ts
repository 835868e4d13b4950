import type { DeadLetter } from '../dead-letter/dead-letter.js';
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

/** The broker did not acknowledge the record in time; the caller must not report success. */
export class PublishError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/**
 * The port between the HTTP edge and the event log. The edge knows only this interface, so
 * the Kafka adapter behind it (its client, its batching) can change without touching the edge.
 * `publish` resolves only after the record is durably acknowledged, and rejects with a
 * PublishError otherwise.
 */
export interface EventPublisher {
  publish(event: CloudEvent, trace: TraceContext): Promise<PublishReceipt>;
  /** Keeps a webhook that could not become an event on the dead-letter topic, with the same guarantee. */
  deadLetter(letter: DeadLetter): Promise<PublishReceipt>;
}

export const EVENT_PUBLISHER = Symbol('EventPublisher');

/** Whether the event log can take records now; what `/health/ready` reports. */
export interface PublisherHealth {
  isReady(): Promise<boolean>;
}

export const PUBLISHER_HEALTH = Symbol('PublisherHealth');
