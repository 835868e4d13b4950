import { HttpStatus } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { prometheusContentType } from 'prom-client';
import { HealthController } from '../health/health.controller.js';
import { MetricsController } from '../metrics/metrics.controller.js';
import { DropeaWebhooksController } from '../webhooks/dropea-webhooks.controller.js';
import { IncidenceStatusUpdateDto } from '../webhooks/dto/incidence-status-update.dto.js';
import { OrderStatusUpdateDto } from '../webhooks/dto/order-status-update.dto.js';
import { StatusUpdateDto } from '../webhooks/dto/status-update.dto.js';
import { MAX_STATUS_LENGTH } from '../webhooks/dto/validation-rules.js';
import { HealthModel } from './openapi-models.js';
import { ApiProblemResponse, WebhookRouteDocs } from './route-docs.js';

/**
 * The OpenAPI description of the relay's DTOs and controllers, in @nestjs/swagger's decorators,
 * applied to those classes when this module is first imported (by openapi-document.ts) rather
 * than where the classes are defined. So @nestjs/swagger, the largest dependency a relay would
 * hold at rest (12 MB of RSS; docs/benchmarks.md, Memory), loads only in a process that builds
 * the document: the first request for /docs-json, and `npm run openapi`.
 *
 * Each call below is what the decorator would have done on the class; the properties of a
 * class are described in the order they are declared, a parent's before its subclasses',
 * so the document keeps its order (test/openapi.e2e-spec.ts compares it byte for byte).
 */

type Class = abstract new (...args: never[]) => unknown;

function describeProperties(dto: Class, properties: Record<string, PropertyDecorator>): void {
  for (const [name, decorator] of Object.entries(properties)) decorator(dto.prototype as object, name);
}

/** The controller's tag and, per handler, its decorators in the order they would be written (applied bottom up, as TypeScript does). */
function describeRoutes(controller: Class, tag: string, handlers: Record<string, MethodDecorator[]>): void {
  ApiTags(tag)(controller);
  const prototype = controller.prototype as object;
  for (const [name, decorators] of Object.entries(handlers)) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    if (descriptor === undefined) throw new Error(`${controller.name} has no handler ${name}`);
    for (const decorator of [...decorators].reverse()) decorator(prototype, name, descriptor);
  }
}

describeProperties(StatusUpdateDto, {
  prev_status: ApiPropertyOptional({
    type: 'string',
    nullable: true,
    maxLength: MAX_STATUS_LENGTH,
    pattern: '\\S',
    description: 'The status before the change, as Dropea names it; null or absent for the first one.',
    example: 'confirmed',
  }),
  new_status: ApiProperty({ maxLength: MAX_STATUS_LENGTH, pattern: '\\S', description: 'The status after the change, as Dropea names it.', example: 'cancelled' }),
  updated_at: ApiProperty({
    description:
      'When the status changed: Europe/Madrid wall-clock time as `YYYY-MM-DD HH:mm:ss` (no offset), or ISO 8601 with an offset.',
    example: '2025-05-29 14:14:58',
  }),
});

describeProperties(OrderStatusUpdateDto, {
  topic: ApiProperty({ enum: ['order:status_update'], description: 'The webhook topic.' }),
  order_id: ApiProperty({ type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: "Dropea's order id; the Kafka record key.", example: 265494 }),
});

describeProperties(IncidenceStatusUpdateDto, {
  topic: ApiProperty({ enum: ['incidence:status_update'], description: 'The webhook topic.' }),
  incidence_id: ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description: "Dropea's incidence id; the Kafka record key.",
    example: 265494,
  }),
});

describeRoutes(DropeaWebhooksController, 'webhooks', {
  receive: [WebhookRouteDocs('both', 'Receive an order or incidence status change (by its topic)')],
  receiveOrder: [WebhookRouteDocs('order', 'Receive an order status change')],
  receiveIncidence: [WebhookRouteDocs('incidence', 'Receive an incidence status change')],
});

describeRoutes(HealthController, 'health', {
  live: [ApiOperation({ summary: 'Liveness: the process serves HTTP' }), ApiOkResponse({ type: HealthModel })],
  ready: [
    ApiOperation({
      summary: "Readiness: every configured topic's metadata can be read and says it exists, the spool (if any) is empty, and the relay is not shutting down",
    }),
    ApiOkResponse({ type: HealthModel }),
    ApiProblemResponse(
      HttpStatus.SERVICE_UNAVAILABLE,
      "Not ready; `detail` gives every reason and its fix: Kafka's metadata cannot be read, a topic is missing or not visible, the spool holds records (or its drain has stalled), or the relay is shutting down.",
    ),
  ],
});

describeRoutes(MetricsController, 'metrics', {
  scrape: [
    ApiOperation({ summary: 'Prometheus metrics, text exposition format 0.0.4' }),
    ApiProduces(prometheusContentType),
    ApiOkResponse({ description: 'The metrics.', schema: { type: 'string' } }),
  ],
});
