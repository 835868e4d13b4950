import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';
import { PUBLISHER_HEALTH, type PublisherHealth } from '../publishing/event-publisher.js';
import { ShutdownGate } from '../shutdown/shutdown-gate.js';

interface HealthStatus {
  readonly status: 'ok';
  readonly kafka?: 'up';
}

/**
 * Kubernetes probes. Liveness says only that the process serves HTTP: restarting the relay
 * would not bring Kafka back. Readiness says whether webhooks should be routed here now
 * (publishing/kafka-event-publisher.ts, readiness): not while this relay cannot write its
 * topics, and not while its spool holds records, so that no traffic goes to a relay that could
 * only answer 503 or would queue webhooks behind older ones, and not from SIGTERM on: on PORT
 * the closing hooks answer that, on MANAGEMENT_PORT (which serves on while the webhooks drain)
 * this controller does. Their OpenAPI description is in openapi/api-docs.ts.
 */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(PUBLISHER_HEALTH) private readonly publisher: PublisherHealth,
    private readonly gate: ShutdownGate,
  ) {}

  @Get('live')
  @HttpCode(200)
  live(): HealthStatus {
    return { status: 'ok' };
  }

  @Get('ready')
  @HttpCode(200)
  async ready(): Promise<HealthStatus> {
    if (this.gate.closing) throw ProblemException.of(PROBLEM_TYPES.notReady, 'The relay is shutting down');
    const { ready, problems } = await this.publisher.readiness();
    if (!ready) throw ProblemException.of(PROBLEM_TYPES.notReady, problems.join(' '));
    return { status: 'ok', kafka: 'up' };
  }
}
