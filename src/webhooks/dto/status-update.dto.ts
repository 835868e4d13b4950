import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsStatus, IsUpdatedAt, MAX_STATUS_LENGTH } from './validation-rules.js';

/** The fields both Dropea webhook topics share. Unknown extra fields are allowed and kept. */
export abstract class StatusUpdateDto {
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: MAX_STATUS_LENGTH,
    pattern: '\\S',
    description: 'The status before the change, as Dropea names it; null or absent for the first one.',
    example: 'confirmed',
  })
  @IsStatus({ optional: true })
  prev_status?: string | null;

  @ApiProperty({ maxLength: MAX_STATUS_LENGTH, pattern: '\\S', description: 'The status after the change, as Dropea names it.', example: 'cancelled' })
  @IsStatus()
  new_status!: string;

  @ApiProperty({
    description:
      'When the status changed: Europe/Madrid wall-clock time as `YYYY-MM-DD HH:mm:ss` (no offset), or ISO 8601 with an offset.',
    example: '2025-05-29 14:14:58',
  })
  @IsUpdatedAt()
  updated_at!: string;
}
