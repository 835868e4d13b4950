import { Equals } from '../../validation/class-validator.js';
import { StatusUpdateDto } from './status-update.dto.js';
import { IsEntityId } from './validation-rules.js';

/** Body of Dropea's `incidence:status_update` webhook. */
export class IncidenceStatusUpdateDto extends StatusUpdateDto {
  @Equals('incidence:status_update', { message: 'topic must be "incidence:status_update"' })
  topic!: 'incidence:status_update';

  @IsEntityId()
  incidence_id!: number;
}
