import { Controller, Get, HttpCode, HttpStatus, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthModel } from '../openapi/openapi-models.js';
import { ApiProblemResponse } from '../openapi/route-docs.js';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';
import { PUBLISHER_HEALTH, type PublisherHealth } from '../publishing/event-publisher.js';

interface HealthStatus {
  readonly status: 'ok';
  readonly kafka?: 'up';
}

/**
 * Kubernetes probes. Liveness says only that the process serves HTTP: restarting the relay
 * would not bring Kafka back. Readiness follows Kafka, so no traffic is routed to a relay that
 * could only answer 503.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(PUBLISHER_HEALTH) private readonly publisher: PublisherHealth) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process serves HTTP' })
  @ApiOkResponse({ type: HealthModel })
  live(): HealthStatus {
    return { status: 'ok' };
  }

  @Get('ready')
  @HttpCode(200)
  @ApiOperation({ summary: 'Readiness: Kafka is reachable (or a spool is configured) and the relay is not shutting down' })
  @ApiOkResponse({ type: HealthModel })
  @ApiProblemResponse(HttpStatus.SERVICE_UNAVAILABLE, 'Not ready: Kafka is not reachable, or the relay is shutting down.')
  async ready(): Promise<HealthStatus> {
    if (!(await this.publisher.isReady())) throw ProblemException.of(PROBLEM_TYPES.notReady, 'Kafka is not reachable');
    return { status: 'ok', kafka: 'up' };
  }
}
