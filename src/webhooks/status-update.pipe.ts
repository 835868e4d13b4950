import type { PipeTransform } from '@nestjs/common';
import { validateSync, type ValidationError, type ValidatorOptions } from '../validation/class-validator.js';
import type { DeadLetterReason } from '../dead-letter/dead-letter.js';
import { ENTITY_KIND_BY_TOPIC, WEBHOOK_TOPICS, type StatusChange, type WebhookTopic } from '../envelope/envelope.js';
import type { FieldError } from '../problem/problem-details.js';
import { compileRules } from '../validation/compiled-validator.js';
import { IncidenceStatusUpdateDto } from './dto/incidence-status-update.dto.js';
import { OrderStatusUpdateDto } from './dto/order-status-update.dto.js';

/** What validation made of a JSON body: a change to publish, or why it is a dead letter. */
export type Verdict =
  | { readonly valid: true; readonly change: StatusChange }
  | {
      readonly valid: false;
      readonly reason: DeadLetterReason;
      readonly errors: readonly FieldError[];
      /** The body's entity id when it holds a usable one, to key its dead letter. */
      readonly entityId: number | undefined;
    };

const DTO_BY_TOPIC = {
  'order:status_update': OrderStatusUpdateDto,
  'incidence:status_update': IncidenceStatusUpdateDto,
} as const;

/** The DTOs' rules, compiled once at start (validation/compiled-validator.ts). */
const RULES_BY_TOPIC = {
  'order:status_update': compileRules(DTO_BY_TOPIC['order:status_update']),
  'incidence:status_update': compileRules(DTO_BY_TOPIC['incidence:status_update']),
} as const;

const ID_FIELD_BY_TOPIC = {
  'order:status_update': 'order_id',
  'incidence:status_update': 'incidence_id',
} as const;

const VALIDATOR_OPTIONS: ValidatorOptions = {
  // One message per field: the first rule it breaks.
  stopAtFirstError: true,
  validationError: { target: false, value: false },
};

/**
 * Validates a JSON object against the class-validator DTO of its `topic` and reduces it to the
 * StatusChange the envelope is built from. The body itself is kept untouched as
 * `sourcePayload`: the DTO instance is only for validation.
 *
 * A body that breaks the rules is not thrown away here: the verdict names each offending field
 * and goes on to WebhookRelay, which keeps the body on the dead-letter topic before answering.
 * A topic the relay does not know is its own reason when the route accepts every topic (Dropea
 * may add topics); on a route for one topic it is a broken rule like any other.
 *
 * A body is first checked against the DTO's rules compiled once at start; only a body that
 * breaks one goes through class-validator's `validateSync`, which names every broken rule.
 * For that, the instance is the body's fields copied onto the DTO, not class-transformer's
 * `plainToInstance` as in Nest's ValidationPipe: the body is flat JSON with nothing to
 * transform, and that conversion cost 5 % of the relay's CPU under load (docs/benchmarks.md).
 * JsonBodyPipe has refused `__proto__` members, so the copy cannot reach a prototype.
 */
export class StatusUpdatePipe implements PipeTransform<Record<string, unknown>, Verdict> {
  constructor(private readonly accepts: readonly WebhookTopic[] = WEBHOOK_TOPICS) {}

  transform(body: Record<string, unknown>): Verdict {
    const topic = body['topic'];
    const accepted = this.accepts.find((candidate) => candidate === topic);
    if (accepted === undefined) return this.wrongTopic(topic, body);
    if (!RULES_BY_TOPIC[accepted](body)) {
      // validateSync has the last word: it found the broken rules, or none (then the body is valid).
      const errors = this.brokenRules(accepted, body);
      if (errors.length > 0) return rejected('validation_failed', errors, body);
    }
    return {
      valid: true,
      change: {
        topic: accepted,
        entityId: body[ID_FIELD_BY_TOPIC[accepted]] as number,
        previousStatus: (body['prev_status'] as string | null | undefined) ?? null,
        status: body['new_status'] as string,
        updatedAt: body['updated_at'] as string,
        sourcePayload: body,
      },
    };
  }

  /** Every broken rule with class-validator's own message (the rare path: a refused body). */
  private brokenRules(topic: WebhookTopic, body: Record<string, unknown>): FieldError[] {
    // A `constructor` member would shadow the DTO's class, through which class-validator finds
    // the rules; it is no field of any DTO, so it is left out of the copy.
    const { constructor: _shadowing, ...fields } = body;
    return validateSync(Object.assign(new DTO_BY_TOPIC[topic](), fields), VALIDATOR_OPTIONS).map(toFieldError);
  }

  private wrongTopic(topic: unknown, body: Record<string, unknown>): Verdict {
    const known = typeof topic === 'string' && Object.hasOwn(ENTITY_KIND_BY_TOPIC, topic);
    const expected = this.accepts.map((t) => `"${t}"`).join(' or ');
    const detail = known ? `topic must be ${expected} on this route` : `topic must be ${expected}`;
    const error = { pointer: '#/topic', field: 'topic', detail };
    const unknown = typeof topic === 'string' && topic !== '' && !known && this.accepts.length === WEBHOOK_TOPICS.length;
    return rejected(unknown ? 'unknown_topic' : 'validation_failed', [error], body);
  }
}

function rejected(reason: DeadLetterReason, errors: readonly FieldError[], body: Record<string, unknown>): Verdict {
  return { valid: false, reason, errors, entityId: entityIdOf(body) };
}

/** `order_id` or `incidence_id` if either is a usable id, whatever else is wrong with the body. */
function entityIdOf(body: Record<string, unknown>): number | undefined {
  for (const field of ['order_id', 'incidence_id']) {
    const id = body[field];
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 1) return id;
  }
  return undefined;
}

function toFieldError(error: ValidationError): FieldError {
  return {
    pointer: `#/${error.property}`,
    field: error.property,
    detail: Object.values(error.constraints ?? {}).join('; '),
  };
}
