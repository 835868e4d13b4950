import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { RelayMetrics } from './relay-metrics.js';

/** Global, so every part of the relay counts into the same registry without importing it. */
@Global()
@Module({ controllers: [MetricsController], providers: [RelayMetrics], exports: [RelayMetrics] })
export class MetricsModule {}
