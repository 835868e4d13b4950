import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { LogBudget } from '../logging/log-budget.js';
import type { RelayMetrics, WebhookOutcome } from '../metrics/relay-metrics.js';
import { endWebhookSpan, startWebhookSpan } from '../tracing/webhook-span.js';
import { traceContextOf } from './trace-context.js';
import { openReport, reportOf, type WebhookReport } from './webhook-report.js';
import { isWebhookRoute } from './webhook-routes.js';

/** The status counted and logged for a request whose client went away before its answer (nginx's convention). */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * Lines for refused requests (4xx), per status code: the first 20 in each 10 s, then one
 * summary line with how many were left out. Every request is still counted in the metrics.
 */
const REJECTED_LINES_PER_WINDOW = 20;
const REJECTED_LINES_WINDOW_MS = 10_000;

/**
 * Watches every webhook request from arrival to answer: opens its report and span when it
 * arrives, and when it has been answered writes its one log line, counts it and ends its span.
 * Registered before any other hook, so requests turned away early (shutting down) are seen too.
 */
export function registerWebhookTelemetry(fastify: FastifyInstance, metrics: RelayMetrics, logger: Logger): void {
  fastify.decorateRequest('webhookReport', null);
  const rejectedLines = new LogBudget(REJECTED_LINES_PER_WINDOW, REJECTED_LINES_WINDOW_MS);
  const summary = setInterval(() => logSuppressed(logger, rejectedLines), REJECTED_LINES_WINDOW_MS).unref();
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(summary);
    logSuppressed(logger, rejectedLines);
    done();
  });

  const finish = (request: FastifyRequest, statusCode: number, latencyMs: number, aborted: boolean): void => {
    const report = reportOf(request);
    if (report === null || report.finished === true) return;
    report.finished = true;
    const outcome: WebhookOutcome = aborted ? 'aborted' : (report.outcome ?? outcomeOfStatus(statusCode));
    const code = String(statusCode);
    metrics.webhooksInFlight.dec();
    metrics.webhookRequests.inc({ route: report.route, outcome, code });
    metrics.webhookDuration.observe({ route: report.route, outcome }, latencyMs / 1000);
    if (report.span !== undefined) endWebhookSpan(report.span, statusCode, spanAttributes(report, outcome));
    const level = levelOf(statusCode);
    // The line's fields are gathered only when its level is logged (LOG_LEVEL).
    if (!logger.isLevelEnabled(level)) return;
    const rejected = statusCode >= 400 && statusCode < 500;
    if (rejected && !rejectedLines.take(code)) return;
    const fields = logFields(report, outcome, statusCode, latencyMs);
    // Who sent a refused request, to find the source of a flood; accepted ones come from Dropea.
    if (rejected) fields['client_address'] = request.ip;
    logger[level](fields, 'webhook');
  };

  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined && isWebhookRoute(route)) {
      const { span, trace } = startWebhookSpan(request.method, route, request.headers, () => traceContextOf(request.headers));
      const report = openReport(request, route, trace);
      if (span !== undefined) report.span = span;
      metrics.webhooksInFlight.inc();
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode, reply.elapsedTime, false);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    finish(request, CLIENT_CLOSED_REQUEST, 0, true);
    done();
  });
}

function outcomeOfStatus(statusCode: number): WebhookOutcome {
  if (statusCode === 503) return 'unavailable';
  return statusCode >= 500 ? 'failed' : 'rejected';
}

/** A 503 is the relay working as designed while Kafka is away (the publisher logs why), so a warning. */
function levelOf(statusCode: number): 'info' | 'warn' | 'error' {
  if (statusCode >= 500 && statusCode !== 503) return 'error';
  return statusCode >= 400 ? 'warn' : 'info';
}

/**
 * The webhook's log line, field by field: never a header (the signature is one) and never the
 * body. The trace id lets the line be found from a trace and the other way round.
 */
function logFields(report: WebhookReport, outcome: WebhookOutcome, statusCode: number, latencyMs: number): Record<string, unknown> {
  return {
    route: report.route,
    status_code: statusCode,
    outcome,
    latency_ms: Math.round(latencyMs * 1000) / 1000,
    event_id: report.eventId,
    entity: report.entity,
    entity_id: report.entityId,
    topic: report.topic,
    unknown_status: report.unknownStatus,
    trace_id: report.trace.traceparent?.slice(3, 35),
    problem: report.problem,
    detail: report.detail,
  };
}

function logSuppressed(logger: Logger, budget: LogBudget): void {
  const suppressed = budget.drainSuppressed();
  if (suppressed.size === 0) return;
  logger.warn({ suppressed_by_status: Object.fromEntries(suppressed), window_ms: REJECTED_LINES_WINDOW_MS }, 'webhook lines suppressed');
}

function spanAttributes(report: WebhookReport, outcome: WebhookOutcome): Record<string, string | number> {
  const attributes: Record<string, string | number> = { 'dropea.outcome': outcome };
  if (report.entity !== undefined) attributes['dropea.entity'] = report.entity;
  if (report.entityId !== undefined) attributes['dropea.entity_id'] = report.entityId;
  // Messaging attributes: https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
  if (report.eventId !== undefined) attributes['messaging.message.id'] = report.eventId;
  if (report.topic !== undefined) {
    attributes['messaging.system'] = 'kafka';
    attributes['messaging.destination.name'] = report.topic;
  }
  return attributes;
}
