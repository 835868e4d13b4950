import { Inject, Injectable } from '@nestjs/common';
import { WEBHOOKS_CONFIG } from '../config/config.tokens.js';
import type { WebhooksConfig } from '../config/webhooks.config.js';
import { bodySha256, type DeadLetter } from '../dead-letter/dead-letter.js';
import { RecentEvents } from '../dedup/recent-events.js';
import type { CloudEvent, EntityKind, StatusChange } from '../envelope/envelope.js';
import { normalize } from '../envelope/normalize.js';
import { isKnownStatus } from '../envelope/status.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';
import { EVENT_PUBLISHER, RecordRefusedError, type EventPublisher } from '../publishing/event-publisher.js';
import type { Delivery } from './delivery.js';
import { publishProblem } from './publish-problem.js';
import type { Verdict } from './status-update.pipe.js';
import type { UnknownStatuses, WebhookReport } from './webhook-report.js';

/** 202: in Kafka (acks=all), or, with SPOOL_DIR, on the local disk on its way there. */
export interface Accepted {
  readonly status: 'published' | 'spooled';
  readonly id: string;
  readonly topic: string;
}

/** 200: the same event was published within DEDUP_TTL_SECONDS, or is being published now. */
export interface Duplicate {
  readonly status: 'duplicate';
  readonly id: string;
}

/** 202: a topic the relay does not know, kept on the dead-letter topic. */
export interface DeadLettered {
  readonly status: 'dead_lettered';
}

export type Answer = Accepted | Duplicate | DeadLettered;

/**
 * One webhook to Kafka. A valid one becomes its envelope on the entity's topic, once per event
 * id within the dedup window; one that broke the rules is first kept on the dead-letter topic
 * and then refused (422), or accepted (202) when only its topic is unknown. Every answer but a
 * 503 comes after the broker (or the spool) acknowledged what it stands for.
 */
@Injectable()
export class WebhookRelay {
  private readonly recent: RecentEvents;

  constructor(
    @Inject(WEBHOOKS_CONFIG) private readonly config: WebhooksConfig,
    @Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher,
    private readonly metrics: RelayMetrics,
  ) {
    this.recent = new RecentEvents(config.dedupTtlSeconds * 1000, config.dedupMaxEntries);
  }

  /** Relays one webhook; what it learns on the way goes into `report` (webhook-report.ts). */
  receive(verdict: Verdict, delivery: Delivery, report: WebhookReport): Promise<Answer> {
    if (verdict.valid) return this.relay(verdict.change, delivery, report);
    report.entityId = verdict.entityId;
    return this.deadLetter({ ...delivery, reason: verdict.reason, errors: verdict.errors, entityId: verdict.entityId }, report);
  }

  private async relay(change: StatusChange, delivery: Delivery, report: WebhookReport): Promise<Accepted | Duplicate> {
    const event = normalize(change, { receivedAt: delivery.receivedAt, source: this.config.ceSource });
    report.eventId = event.id;
    report.entity = event.data.entity;
    report.entityId = event.data.entity_id;
    report.unknownStatus = unknownStatuses(event);
    const outcome = await this.recent.once(event.id, () => this.publisher.publish(event, delivery)).catch((error: unknown) => {
      // Refused for good and kept as a dead letter instead: the answer says so (413 or 422).
      if (error instanceof RecordRefusedError && error.keptOn !== undefined) {
        report.outcome = 'dead_lettered';
        report.topic = error.keptOn;
      }
      throw publishProblem(error) ?? error;
    });
    if (outcome.duplicate) {
      this.metrics.dedupHits.inc({ kind: 'event' });
      report.outcome = 'duplicate';
      return { status: 'duplicate', id: event.id };
    }
    this.countUnknownStatuses(event.data.entity, report.unknownStatus);
    const { topic, spooled } = outcome.result;
    report.outcome = spooled ? 'spooled' : 'published';
    report.topic = topic;
    return { status: report.outcome, id: event.id, topic };
  }

  private async deadLetter(letter: DeadLetter, report: WebhookReport): Promise<DeadLettered> {
    // A redelivery of the same bytes to the same route is kept once.
    const fields = letter.errors.map((error) => error.field).join(', ');
    const invalid = (detail: string) => ProblemException.of(PROBLEM_TYPES.validationFailed, detail, { errors: letter.errors });
    const outcome = await this.recent.once(`dlq ${letter.route} ${bodySha256(letter.body)}`, () => this.publisher.deadLetter(letter)).catch(
      (error: unknown) => {
        // The dead-letter topic refuses it: a broken rule is still the answer, and it says the webhook was not kept.
        if (error instanceof RecordRefusedError && letter.reason === 'validation_failed') {
          throw invalid(`Invalid field(s): ${fields}. It was not kept on the dead-letter topic: ${error.message}`);
        }
        throw publishProblem(error) ?? error;
      },
    );
    if (outcome.duplicate) this.metrics.dedupHits.inc({ kind: 'dead_letter' });
    report.outcome = 'dead_lettered';
    if (letter.reason === 'unknown_topic') return { status: 'dead_lettered' };
    throw invalid(`Invalid field(s): ${fields}`);
  }

  /** Statuses outside the documented vocabulary pass through (CONTRACT.md §2); each event's are counted once. */
  private countUnknownStatuses(entity: EntityKind, unknown: UnknownStatuses | undefined): void {
    if (unknown?.status !== undefined) this.metrics.unknownStatuses.inc({ entity, field: 'status' });
    if (unknown?.previous_status !== undefined) this.metrics.unknownStatuses.inc({ entity, field: 'previous_status' });
  }

}

function unknownStatuses({ data }: CloudEvent): UnknownStatuses | undefined {
  const status = isKnownStatus(data.entity, data.status) ? undefined : data.status;
  const previous = data.previous_status === null || isKnownStatus(data.entity, data.previous_status) ? undefined : data.previous_status;
  if (status === undefined && previous === undefined) return undefined;
  return { ...(status === undefined ? {} : { status }), ...(previous === undefined ? {} : { previous_status: previous }) };
}
