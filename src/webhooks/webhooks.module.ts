import { Module } from '@nestjs/common';
import { PublishingModule } from '../publishing/publishing.module.js';
import { DropeaWebhooksController } from './dropea-webhooks.controller.js';
import { WebhookRelay } from './webhook-relay.service.js';

@Module({ imports: [PublishingModule], controllers: [DropeaWebhooksController], providers: [WebhookRelay] })
export class WebhooksModule {}
