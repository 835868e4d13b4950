import { recordWebhookSpans } from './webhook-span.js';

/** A started OpenTelemetry SDK; `shutdown` exports the spans still buffered. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Tracing is on when OpenTelemetry's standard variables ask for it
 * (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/):
 * an OTLP endpoint, or a traces exporter other than `none`, and no OTEL_SDK_DISABLED=true.
 * Without them the relay would export to localhost:4318 by default and log every failure.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase();
  if (exporter) return exporter !== 'none';
  return Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT']?.trim() || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']?.trim());
}

/**
 * Starts the OpenTelemetry Node SDK, configured by the OTEL_* variables alone (exporter,
 * protocol, endpoint, headers, sampler, resource). No automatic instrumentation is loaded:
 * the relay makes one span per webhook itself (webhook-span.ts). The SDK is imported only when
 * it is used, so a relay without tracing does not load it.
 */
export async function startTracing(env: NodeJS.ProcessEnv): Promise<Tracing | undefined> {
  if (!tracingRequested(env)) return undefined;
  const { NodeSDK } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    instrumentations: [],
    ...(env['OTEL_SERVICE_NAME']?.trim() ? {} : { serviceName: 'dropea-relay' }),
  });
  sdk.start();
  recordWebhookSpans();
  return { shutdown: () => sdk.shutdown() };
}
