import { Body, Controller, HttpCode, HttpStatus, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WEBHOOKS_CONFIG } from '../config/config.tokens.js';
import type { WebhooksConfig } from '../config/webhooks.config.js';
import { deliveryOf } from './delivery.js';
import { DropeaSignatureGuard } from './dropea-signature.guard.js';
import { JsonBodyPipe } from './json-body.pipe.js';
import { StatusUpdatePipe, type Verdict } from './status-update.pipe.js';
import { traceContextOf } from './trace-context.js';
import { openReport, reportOf } from './webhook-report.js';
import { WebhookRelay, type Answer } from './webhook-relay.service.js';
import { WEBHOOK_ROUTES, type WebhookRoute } from './webhook-routes.js';

/**
 * The three webhook routes of CONTRACT.md §1: 202 when published (or spooled, or dead-lettered
 * for an unknown topic), 200 for a duplicate. One handler per route, each with the pipe of the
 * topics it accepts. Their OpenAPI description is in openapi/api-docs.ts.
 */
@Controller('webhooks/dropea')
@UseGuards(DropeaSignatureGuard)
export class DropeaWebhooksController {
  constructor(
    private readonly webhooks: WebhookRelay,
    @Inject(WEBHOOKS_CONFIG) private readonly config: WebhooksConfig,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  receive(
    @Body(JsonBodyPipe, new StatusUpdatePipe(WEBHOOK_ROUTES['/webhooks/dropea'])) verdict: Verdict,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Answer> {
    return this.receiveOn('/webhooks/dropea', verdict, request, reply);
  }

  @Post('orders')
  @HttpCode(HttpStatus.ACCEPTED)
  receiveOrder(
    @Body(JsonBodyPipe, new StatusUpdatePipe(WEBHOOK_ROUTES['/webhooks/dropea/orders'])) verdict: Verdict,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Answer> {
    return this.receiveOn('/webhooks/dropea/orders', verdict, request, reply);
  }

  @Post('incidences')
  @HttpCode(HttpStatus.ACCEPTED)
  receiveIncidence(
    @Body(JsonBodyPipe, new StatusUpdatePipe(WEBHOOK_ROUTES['/webhooks/dropea/incidences'])) verdict: Verdict,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Answer> {
    return this.receiveOn('/webhooks/dropea/incidences', verdict, request, reply);
  }

  private async receiveOn(route: WebhookRoute, verdict: Verdict, request: FastifyRequest, reply: FastifyReply): Promise<Answer> {
    // The report is opened by webhook-telemetry.ts when the request arrives.
    const report = reportOf(request) ?? openReport(request, route, traceContextOf(request.headers));
    const delivery = deliveryOf(request, route, this.config.signatureMode, report.trace);
    const answer = await this.webhooks.receive(verdict, delivery, report);
    if (answer.status === 'duplicate') void reply.status(HttpStatus.OK);
    return answer;
  }
}
