import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { StatusChange } from '../envelope/envelope.js';
import { DropeaSignatureGuard } from './dropea-signature.guard.js';
import { JsonBodyPipe } from './json-body.pipe.js';
import { StatusUpdatePipe } from './status-update.pipe.js';
import { traceContextOf } from './trace-context.js';
import { WebhookRelay, type Published } from './webhook-relay.service.js';

/** The three webhook routes of CONTRACT.md §1. */
@Controller('webhooks/dropea')
@UseGuards(DropeaSignatureGuard)
export class DropeaWebhooksController {
  constructor(private readonly webhooks: WebhookRelay) {}

  @Post()
  @HttpCode(202)
  receive(@Body(JsonBodyPipe, new StatusUpdatePipe()) change: StatusChange, @Req() request: FastifyRequest): Promise<Published> {
    return this.relay(change, request);
  }

  @Post('orders')
  @HttpCode(202)
  receiveOrder(
    @Body(JsonBodyPipe, new StatusUpdatePipe(['order:status_update'])) change: StatusChange,
    @Req() request: FastifyRequest,
  ): Promise<Published> {
    return this.relay(change, request);
  }

  @Post('incidences')
  @HttpCode(202)
  receiveIncidence(
    @Body(JsonBodyPipe, new StatusUpdatePipe(['incidence:status_update'])) change: StatusChange,
    @Req() request: FastifyRequest,
  ): Promise<Published> {
    return this.relay(change, request);
  }

  private relay(change: StatusChange, request: FastifyRequest): Promise<Published> {
    return this.webhooks.relay(change, traceContextOf(request.headers), new Date());
  }
}
