import { Body, Controller, HttpCode, HttpStatus, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StatusChange } from '../envelope/envelope.js';
import { DropeaSignatureGuard } from './dropea-signature.guard.js';
import { JsonBodyPipe } from './json-body.pipe.js';
import { StatusUpdatePipe } from './status-update.pipe.js';
import { traceContextOf } from './trace-context.js';
import { WebhookRelay, type Duplicate, type Published } from './webhook-relay.service.js';

/** The three webhook routes of CONTRACT.md §1: 202 when published, 200 for a duplicate. */
@Controller('webhooks/dropea')
@UseGuards(DropeaSignatureGuard)
export class DropeaWebhooksController {
  constructor(private readonly webhooks: WebhookRelay) {}

  @Post()
  @HttpCode(202)
  receive(
    @Body(JsonBodyPipe, new StatusUpdatePipe()) change: StatusChange,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Published | Duplicate> {
    return this.relay(change, request, reply);
  }

  @Post('orders')
  @HttpCode(202)
  receiveOrder(
    @Body(JsonBodyPipe, new StatusUpdatePipe(['order:status_update'])) change: StatusChange,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Published | Duplicate> {
    return this.relay(change, request, reply);
  }

  @Post('incidences')
  @HttpCode(202)
  receiveIncidence(
    @Body(JsonBodyPipe, new StatusUpdatePipe(['incidence:status_update'])) change: StatusChange,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Published | Duplicate> {
    return this.relay(change, request, reply);
  }

  private async relay(change: StatusChange, request: FastifyRequest, reply: FastifyReply): Promise<Published | Duplicate> {
    const outcome = await this.webhooks.relay(change, traceContextOf(request.headers), new Date());
    if (outcome.status === 'duplicate') void reply.status(HttpStatus.OK);
    return outcome;
  }
}
