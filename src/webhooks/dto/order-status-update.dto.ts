import { Equals } from 'class-validator';
import { IsEntityId, IsStatus, IsUpdatedAt } from './validation-rules.js';

/** Body of Dropea's `order:status_update` webhook. Unknown extra fields are allowed and kept. */
export class OrderStatusUpdateDto {
  @Equals('order:status_update', { message: 'topic must be "order:status_update"' })
  topic!: 'order:status_update';

  @IsEntityId()
  order_id!: number;

  @IsStatus({ optional: true })
  prev_status?: string | null;

  @IsStatus()
  new_status!: string;

  @IsUpdatedAt()
  updated_at!: string;
}
