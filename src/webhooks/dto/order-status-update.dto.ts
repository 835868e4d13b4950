import { Equals } from '../../validation/class-validator.js';
import { StatusUpdateDto } from './status-update.dto.js';
import { IsEntityId } from './validation-rules.js';

/** Body of Dropea's `order:status_update` webhook. */
export class OrderStatusUpdateDto extends StatusUpdateDto {
  @Equals('order:status_update', { message: 'topic must be "order:status_update"' })
  topic!: 'order:status_update';

  @IsEntityId()
  order_id!: number;
}
