import { Global, Module } from '@nestjs/common';
import { RelayMetrics } from './relay-metrics.js';

/**
 * Global, so every part of the relay counts into the same registry without importing it. Its
 * route, GET /metrics, is mounted with the other management routes (src/management).
 */
@Global()
@Module({ providers: [RelayMetrics], exports: [RelayMetrics] })
export class MetricsModule {}
