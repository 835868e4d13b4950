import { ApiProperty } from '@nestjs/swagger';
import { Equals } from 'class-validator';
import { StatusUpdateDto } from './status-update.dto.js';
import { IsEntityId } from './validation-rules.js';

/** Body of Dropea's `incidence:status_update` webhook. */
export class IncidenceStatusUpdateDto extends StatusUpdateDto {
  @ApiProperty({ enum: ['incidence:status_update'], description: 'The webhook topic.' })
  @Equals('incidence:status_update', { message: 'topic must be "incidence:status_update"' })
  topic!: 'incidence:status_update';

  @ApiProperty({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "Dropea's incidence id; the Kafka record key.", example: 265494 })
  @IsEntityId()
  incidence_id!: number;
}
