import type { Span } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import type { EntityKind } from '../envelope/envelope.js';
import type { WebhookOutcome } from '../metrics/relay-metrics.js';
import type { TraceContext } from '../publishing/event-publisher.js';
import type { WebhookRoute } from './webhook-routes.js';

/**
 * What the relay learned about one webhook request while handling it: opened when the request
 * arrives (webhook-telemetry.ts), filled in by the handler as it goes, and read once when the
 * answer has been sent, for the request's log line, metrics and span. It lives on the request
 * (a Fastify decoration, declared once so every request keeps one shape).
 */
export interface WebhookReport {
  readonly route: WebhookRoute;
  /** The trace context the request's records carry to Kafka (the relay's span when tracing is on). */
  readonly trace: TraceContext;
  outcome?: Extract<WebhookOutcome, 'published' | 'spooled' | 'duplicate' | 'dead_lettered'>;
  eventId?: string;
  entity?: EntityKind;
  entityId?: number;
  topic?: string;
  unknownStatus?: UnknownStatuses;
  /** The problem type's slug of a refused request (problem/problem-details.ts). */
  problem?: string;
  /** Its problem `detail`, which names the fix, so the log line names it too. */
  detail?: string;
  /** The request's span, when tracing is on. */
  span?: Span;
  /** Set once the line is written and the request counted, so that happens once. */
  finished?: boolean;
}

/** Canonical statuses outside the documented vocabulary, by envelope field. */
export interface UnknownStatuses {
  readonly status?: string;
  readonly previous_status?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    webhookReport: WebhookReport | null;
  }
}

export function openReport(request: FastifyRequest, route: WebhookRoute, trace: TraceContext): WebhookReport {
  const report: WebhookReport = { route, trace };
  request.webhookReport = report;
  return report;
}

/** The report of a webhook request; null for any other route. */
export function reportOf(request: FastifyRequest): WebhookReport | null {
  return request.webhookReport;
}
