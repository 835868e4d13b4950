import { Injectable } from '@nestjs/common';
import { getHeapStatistics } from 'node:v8';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RELAY_VERSION } from '../version.js';

/** How a webhook request ended, as counted and logged (one value per answer of CONTRACT.md §1). */
export type WebhookOutcome =
  | 'published'
  | 'spooled'
  | 'duplicate'
  | 'dead_lettered'
  | 'rejected'
  | 'unavailable'
  | 'failed'
  | 'aborted';

export type SignatureResult = 'valid' | 'invalid' | 'missing';

/** The spool as the drain reports it (publishing/spooler.ts, SpoolState). */
export interface SpoolGauges {
  readonly records: number;
  readonly bytes: number;
  readonly oldestAgeSeconds: number;
  readonly stalled: boolean;
}

/** Where a publish ended: in Kafka, on the local spool, or nowhere (the request got a 503). */
export type PublishOutcome = 'acknowledged' | 'spooled' | 'failed';

// Latencies from 0.5 ms (a batched publish on a quiet broker) to 10 s (past PUBLISH_TIMEOUT_MS).
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_RECORD_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

/**
 * The relay's Prometheus metrics (https://prometheus.io/docs/practices/naming/): counters end
 * in `_total`, durations are in seconds, sizes in records. Every label has a small fixed set of
 * values, so no request can grow the number of series. Each app has its own registry, so
 * several relays in one process (the tests) never share counts.
 */
@Injectable()
export class RelayMetrics {
  readonly registry = new Registry();

  readonly webhookRequests = new Counter({
    name: 'dropea_relay_webhook_requests_total',
    help: 'Webhook requests answered, by route, outcome and HTTP status code.',
    labelNames: ['route', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  readonly webhookDuration = new Histogram({
    name: 'dropea_relay_webhook_duration_seconds',
    help: 'Time from receiving a webhook request to answering it, by route and outcome.',
    labelNames: ['route', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  /** Always 1: the labels say which release runs, on which Node.js (the info-metric pattern). */
  readonly buildInfo = new Gauge({
    name: 'dropea_relay_build_info',
    help: 'Always 1; the version label is the relay release (package.json), node_version the Node.js it runs on.',
    labelNames: ['version', 'node_version'] as const,
    registers: [this.registry],
  });

  readonly webhooksInFlight = new Gauge({
    name: 'dropea_relay_webhooks_in_flight',
    help: 'Webhook requests received and not yet answered.',
    registers: [this.registry],
  });

  readonly signatureChecks = new Counter({
    name: 'dropea_relay_signature_checks_total',
    help: 'X-Dropea-Hmac-Sha256 checks by result (none are made with DROPEA_SIGNATURE_MODE=off).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly httpClientErrors = new Counter({
    name: 'dropea_relay_http_client_errors_total',
    help: 'Connections Node closed before a request reached a route: timeout (slow client), headers_too_large, malformed HTTP, reset.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly unknownStatuses = new Counter({
    name: 'dropea_relay_unknown_statuses_total',
    help: 'Valid webhooks carrying a status outside the documented vocabulary, by entity and field.',
    labelNames: ['entity', 'field'] as const,
    registers: [this.registry],
  });

  readonly dedupHits = new Counter({
    name: 'dropea_relay_dedup_hits_total',
    help: 'Deliveries answered as duplicates of an event (or dead letter) published within DEDUP_TTL_SECONDS.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: 'dropea_relay_dead_letters_total',
    help: 'Authenticated webhooks written to the dead-letter topic, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly publishDuration = new Histogram({
    name: 'dropea_relay_publish_duration_seconds',
    help: 'Time from handing a record to the publisher until Kafka acknowledged it, it was spooled, or it failed.',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly batchRecords = new Histogram({
    name: 'dropea_relay_kafka_batch_records',
    help: 'Records per produce request sent to Kafka.',
    buckets: BATCH_RECORD_BUCKETS,
    registers: [this.registry],
  });

  readonly kafkaConnected = new Gauge({
    name: 'dropea_relay_kafka_connected',
    help: '1 while the last produce request or cluster probe succeeded, 0 otherwise.',
    registers: [this.registry],
  });

  /**
   * What V8's heap may hold (the old generation's bound, `--max-old-space-size` in the image's
   * NODE_OPTIONS, plus the young generation): at it the process stops with an out-of-memory
   * error. Beside prom-client's `nodejs_heap_size_used_bytes`, it says how close that is.
   */
  readonly heapLimit = new Gauge({
    name: 'dropea_relay_heap_limit_bytes',
    help: "V8's heap size limit (--max-old-space-size plus the young generation); the process stops with an out-of-memory error at it.",
    registers: [this.registry],
  });

  readonly ready = new Gauge({
    name: 'dropea_relay_ready',
    help: '1 while /health/ready answers 200 (topics readable and present, spool empty), 0 otherwise; set at each probe.',
    registers: [this.registry],
  });

  readonly recordsRefused = new Counter({
    name: 'dropea_relay_records_refused_total',
    help: 'Records Kafka refused for good (or that are over their topic\'s max.message.bytes), by reason: each fails alone and goes to the dead-letter topic.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly spoolRecords: Gauge = this.spoolGauge('dropea_relay_spool_records', 'Records waiting in the local spool (SPOOL_DIR) for Kafka.', (spool) => spool.records);

  readonly spoolBytes: Gauge = this.spoolGauge('dropea_relay_spool_bytes', 'Bytes of records waiting in the local spool (SPOOL_DIR) for Kafka.', (spool) => spool.bytes);

  readonly spoolOldestAge: Gauge = this.spoolGauge(
    'dropea_relay_spool_oldest_age_seconds',
    'Age of the oldest record waiting in the spool (0 when empty).',
    (spool) => spool.oldestAgeSeconds,
  );

  readonly spoolStalled: Gauge = this.spoolGauge(
    'dropea_relay_spool_stalled',
    '1 while records wait in the spool and its drain has made no progress for SPOOL_STALL_SECONDS.',
    (spool) => (spool.stalled ? 1 : 0),
  );

  private spool: (() => SpoolGauges) | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.buildInfo.set({ version: RELAY_VERSION, node_version: process.versions.node }, 1);
    this.heapLimit.set(getHeapStatistics().heap_size_limit);
    this.kafkaConnected.set(0);
    this.ready.set(0);
  }

  /** Reports the spool's state at every scrape. */
  watchSpool(spool: () => SpoolGauges): void {
    this.spool = spool;
  }

  private spoolGauge(name: string, help: string, read: (spool: SpoolGauges) => number): Gauge {
    const gauge: Gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect: (): void => gauge.set(this.spool ? read(this.spool()) : 0),
    });
    return gauge;
  }

  /** The text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/). */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
