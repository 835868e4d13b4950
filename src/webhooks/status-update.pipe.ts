import type { PipeTransform } from '@nestjs/common';
import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';
import {
  ENTITY_KIND_BY_TOPIC,
  WEBHOOK_TOPICS,
  type StatusChange,
  type WebhookTopic,
} from '../envelope/envelope.js';
import { PROBLEM_TYPES, type FieldError } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';
import { IncidenceStatusUpdateDto } from './dto/incidence-status-update.dto.js';
import { OrderStatusUpdateDto } from './dto/order-status-update.dto.js';

const DTO_BY_TOPIC = {
  'order:status_update': OrderStatusUpdateDto,
  'incidence:status_update': IncidenceStatusUpdateDto,
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
 * Validates a JSON object against the class-validator DTO of its `topic` (422 with one error
 * per offending field) and reduces it to the StatusChange the envelope is built from. The body
 * itself is kept untouched as `sourcePayload`: the DTO instance is only for validation.
 *
 * The instance is the body's fields copied onto the DTO, not class-transformer's
 * `plainToInstance` as in Nest's ValidationPipe: the body is flat JSON with nothing to
 * transform, and that conversion cost 5 % of the relay's CPU under load (docs/benchmarks.md).
 * JsonBodyPipe has refused `__proto__` keys, so the copy cannot reach a prototype.
 */
export class StatusUpdatePipe implements PipeTransform<Record<string, unknown>, StatusChange> {
  constructor(private readonly accepts: readonly WebhookTopic[] = WEBHOOK_TOPICS) {}

  transform(body: Record<string, unknown>): StatusChange {
    const topic = this.topicOf(body);
    const errors = validateSync(Object.assign(new DTO_BY_TOPIC[topic](), body), VALIDATOR_OPTIONS);
    if (errors.length > 0) throw invalid(errors.map(toFieldError));
    return {
      topic,
      entityId: body[ID_FIELD_BY_TOPIC[topic]] as number,
      previousStatus: (body['prev_status'] as string | null | undefined) ?? null,
      status: body['new_status'] as string,
      updatedAt: body['updated_at'] as string,
      sourcePayload: body,
    };
  }

  private topicOf(body: Record<string, unknown>): WebhookTopic {
    const topic = body['topic'];
    const accepted = this.accepts.find((candidate) => candidate === topic);
    if (accepted) return accepted;
    const expected = this.accepts.map((t) => `"${t}"`).join(' or ');
    const detail =
      typeof topic === 'string' && topic in ENTITY_KIND_BY_TOPIC
        ? `topic must be ${expected} on this route`
        : `topic must be ${expected}`;
    throw invalid([{ pointer: '#/topic', field: 'topic', detail }]);
  }
}

function invalid(errors: FieldError[]): ProblemException {
  const fields = errors.map((error) => error.field).join(', ');
  return ProblemException.of(PROBLEM_TYPES.validationFailed, `Invalid field(s): ${fields}`, { errors });
}

function toFieldError(error: ValidationError): FieldError {
  return {
    pointer: `#/${error.property}`,
    field: error.property,
    detail: Object.values(error.constraints ?? {}).join('; '),
  };
}
