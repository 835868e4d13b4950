import { Inject, Injectable } from '@nestjs/common';
import { WEBHOOKS_CONFIG } from '../config/config.tokens.js';
import type { WebhooksConfig } from '../config/webhooks.config.js';
import type { StatusChange } from '../envelope/envelope.js';
import { normalize } from '../envelope/normalize.js';
import { RecentEvents } from '../dedup/recent-events.js';
import {
  EVENT_PUBLISHER,
  PublishError,
  type EventPublisher,
  type TraceContext,
} from '../publishing/event-publisher.js';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';

export interface Published {
  readonly status: 'published';
  readonly id: string;
  readonly topic: string;
}

/** The same event was published within DEDUP_TTL_SECONDS (or is being published now). */
export interface Duplicate {
  readonly status: 'duplicate';
  readonly id: string;
}

/** Seconds a sender is asked to wait after a 503 before it retries. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * One validated webhook → its envelope → Kafka, once per event id within the dedup window;
 * answers only after the broker acknowledged.
 */
@Injectable()
export class WebhookRelay {
  private readonly recent: RecentEvents;

  constructor(
    @Inject(WEBHOOKS_CONFIG) private readonly config: WebhooksConfig,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
  ) {
    this.recent = new RecentEvents(config.dedupTtlSeconds * 1000, config.dedupMaxEntries);
  }

  async relay(change: StatusChange, trace: TraceContext, receivedAt: Date): Promise<Published | Duplicate> {
    const event = normalize(change, { receivedAt, source: this.config.ceSource });
    try {
      const outcome = await this.recent.once(event.id, () => this.publisher.publish(event, trace));
      return outcome.duplicate
        ? { status: 'duplicate', id: event.id }
        : { status: 'published', id: event.id, topic: outcome.result.topic };
    } catch (error) {
      if (!(error instanceof PublishError)) throw error;
      throw ProblemException.of(PROBLEM_TYPES.kafkaUnavailable, `${error.message}; the event was not accepted, retry later`, {
        retryAfterSeconds: RETRY_AFTER_SECONDS,
      });
    }
  }
}
