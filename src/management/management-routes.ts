import { HealthController } from '../health/health.controller.js';
import { MetricsController } from '../metrics/metrics.controller.js';

/**
 * The routes for the cluster, not for senders (CONTRACT.md §4): the probes and Prometheus'
 * scrape, all GET. On PORT beside the webhooks, or on MANAGEMENT_PORT alone when it is set.
 */
export const MANAGEMENT_ROUTES = ['/metrics', '/health/live', '/health/ready'] as const;

export const MANAGEMENT_CONTROLLERS = [HealthController, MetricsController];
