import { IsStatus, IsUpdatedAt } from './validation-rules.js';

/**
 * The fields both Dropea webhook topics share. Unknown extra fields are allowed and kept. Their
 * OpenAPI description is in openapi/api-docs.ts.
 */
export abstract class StatusUpdateDto {
  @IsStatus({ optional: true })
  prev_status?: string | null;

  @IsStatus()
  new_status!: string;

  @IsUpdatedAt()
  updated_at!: string;
}
