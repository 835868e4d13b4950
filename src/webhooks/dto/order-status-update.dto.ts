import { ApiProperty } from '@nestjs/swagger';
import { Equals } from 'class-validator';
import { StatusUpdateDto } from './status-update.dto.js';
import { IsEntityId } from './validation-rules.js';

/** Body of Dropea's `order:status_update` webhook. */
export class OrderStatusUpdateDto extends StatusUpdateDto {
  @ApiProperty({ enum: ['order:status_update'], description: 'The webhook topic.' })
  @Equals('order:status_update', { message: 'topic must be "order:status_update"' })
  topic!: 'order:status_update';

  @ApiProperty({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "Dropea's order id; the Kafka record key.", example: 265494 })
  @IsEntityId()
  order_id!: number;
}
