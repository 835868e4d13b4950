import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { prometheusContentType } from 'prom-client';
import { RelayMetrics } from './relay-metrics.js';

/** Prometheus scrapes this (`GET /metrics`, CONTRACT.md §4). */
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: RelayMetrics) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics, text exposition format 0.0.4' })
  @ApiProduces(prometheusContentType)
  @ApiOkResponse({ description: 'The metrics.', schema: { type: 'string' } })
  @Header('content-type', prometheusContentType)
  scrape(): Promise<string> {
    return this.metrics.exposition();
  }
}
