import { Controller, Get, Header } from '@nestjs/common';
import { prometheusContentType } from 'prom-client';
import { RelayMetrics } from './relay-metrics.js';

/** Prometheus scrapes this (`GET /metrics`, CONTRACT.md §4). Its OpenAPI description is in openapi/api-docs.ts. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: RelayMetrics) {}

  @Get()
  @Header('content-type', prometheusContentType)
  scrape(): Promise<string> {
    return this.metrics.exposition();
  }
}
