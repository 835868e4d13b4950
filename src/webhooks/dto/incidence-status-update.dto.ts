import { Equals } from 'class-validator';
import { IsEntityId, IsStatus, IsUpdatedAt } from './validation-rules.js';

/** Body of Dropea's `incidence:status_update` webhook. Unknown extra fields are allowed and kept. */
export class IncidenceStatusUpdateDto {
  @Equals('incidence:status_update', { message: 'topic must be "incidence:status_update"' })
  topic!: 'incidence:status_update';

  @IsEntityId()
  incidence_id!: number;

  @IsStatus({ optional: true })
  prev_status?: string | null;

  @IsStatus()
  new_status!: string;

  @IsUpdatedAt()
  updated_at!: string;
}
