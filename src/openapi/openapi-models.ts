import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// The shapes of the relay's answers for the OpenAPI document. The code answers with the types in
// webhooks/webhook-relay.service.ts and problem/problem-details.ts; the test
// test/openapi.e2e-spec.ts checks real answers against these schemas.

export class FieldErrorModel {
  @ApiProperty({ description: 'JSON Pointer to the field in the body, in its URI fragment form (RFC 6901 §6).', example: '#/order_id' })
  pointer!: string;

  @ApiProperty({ example: 'order_id' })
  field!: string;

  @ApiProperty({ description: 'The rule the field breaks; never its value.', example: 'order_id must be a JSON integer' })
  detail!: string;
}

/** RFC 9457 Problem Details (https://www.rfc-editor.org/rfc/rfc9457), `application/problem+json`. */
export class ProblemModel {
  @ApiProperty({ description: 'A URN naming the problem type.', example: 'urn:dropea-relay:problem:validation-failed' })
  type!: string;

  @ApiProperty({ example: 'Webhook payload is invalid' })
  title!: string;

  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 422 })
  status!: number;

  @ApiProperty({ example: 'Invalid field(s): order_id' })
  detail!: string;

  @ApiPropertyOptional({ type: [FieldErrorModel], description: 'The offending fields (422 only).' })
  errors?: FieldErrorModel[];
}

export class AcceptedModel {
  @ApiProperty({
    enum: ['published', 'spooled'],
    description: '`published`: Kafka acknowledged the record (acks=all). `spooled`: it is on the relay\'s disk spool, on its way to Kafka.',
  })
  status!: 'published' | 'spooled';

  @ApiProperty({ format: 'uuid', description: 'The CloudEvents id of the event (deterministic, UUID v5).' })
  id!: string;

  @ApiProperty({ description: 'The Kafka topic of the record.', example: 'dropea.order.status.v1' })
  topic!: string;
}

export class DeadLetteredModel {
  @ApiProperty({ enum: ['dead_lettered'], description: 'An unknown topic, kept on the dead-letter topic.' })
  status!: 'dead_lettered';
}

export class DuplicateModel {
  @ApiProperty({ enum: ['duplicate'], description: 'The same event was published within DEDUP_TTL_SECONDS; nothing was published.' })
  status!: 'duplicate';

  @ApiProperty({ format: 'uuid' })
  id!: string;
}

export class HealthModel {
  @ApiProperty({ enum: ['ok'] })
  status!: 'ok';

  @ApiPropertyOptional({ enum: ['up'], description: 'Present on /health/ready.' })
  kafka?: 'up';
}
