import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { ClientKafka } from '@nestjs/microservices';
import type { Admin, Kafka } from 'kafkajs';
import { KAFKA_CONFIG } from '../config/config.tokens.js';
import type { KafkaConfig } from '../config/kafka.config.js';
import type { DeadLetter, WebhookOrigin } from '../dead-letter/dead-letter.js';
import type { CloudEvent } from '../envelope/envelope.js';
import type { EnvelopeEncoder } from '../envelope/envelope-format.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';
import { SpoolStore } from '../spool/spool-store.js';
import { Batcher, countFitting, ExpiredError, type BatchShape, type Settlement } from './batcher.js';
import { settledWithin, withDeadline } from './deadline.js';
import {
  PublishError,
  RecordRefusedError,
  TopicUnavailableError,
  type EventPublisher,
  type PublishReceipt,
  type PublisherHealth,
  type Readiness,
} from './event-publisher.js';
import { ENVELOPE_ENCODER } from './envelope-encoder.provider.js';
import { kafkaAccessFailure } from './kafka-access-failure.js';
import { KAFKA_CLIENT, kafkaProducerConfig } from './kafka-client.options.js';
import { KafkaSender } from './kafka-sender.js';
import { deadLetterRecord, recordBytes, refusedDeadLetter, toKafkaRecord, type KafkaRecord, type Outgoing } from './kafka-record.js';
import { RECORD_BATCH_OVERHEAD } from './record-size.js';
import { ProducerSlot } from './producer-slot.js';
import { Spooler, type SpoolEvents } from './spooler.js';
import { TopicCatalog } from './topic-catalog.js';

const RECONNECT_DELAY_MS = 2000;
/** How often the topics' metadata is read while nothing else asks for it (readiness probes do). */
const TOPIC_CHECK_INTERVAL_MS = 10_000;
/** A readiness probe reads the metadata again when the last reading is older than this. */
const READINESS_MAX_AGE_MS = 1000;
/** How long a readiness probe waits for that reading: less than a probe's usual timeout (3 s). */
const READINESS_WAIT_MS = 2000;

/**
 * The EventPublisher adapter for Kafka. Nest's ClientKafka builds the kafkajs client from the
 * configuration; this class owns the producer and admin made from it, and wires the parts:
 * the topic catalog (what the topics accept), the batcher (one produce request at a time), the
 * sender (one outcome per record) and, with SPOOL_DIR, the spool.
 *
 * A record Kafka refuses for good is published as its dead letter instead (the webhook's exact
 * bytes, with why), and its caller is told so; the records that shared its produce request
 * are published as usual.
 */
@Injectable()
export class KafkaEventPublisher
  implements EventPublisher, PublisherHealth, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(KafkaEventPublisher.name);
  private readonly kafka: Promise<Kafka>;
  private readonly producers: ProducerSlot;
  private readonly sender: KafkaSender;
  private readonly batcher: Batcher<KafkaRecord, PublishReceipt>;
  private readonly catalog: TopicCatalog;
  private readonly shape: BatchShape<KafkaRecord>;
  private stopping = false;
  private admin: Promise<Admin> | undefined;
  private checks: NodeJS.Timeout | undefined;
  private spoolStore: SpoolStore | undefined;
  private spooler: Spooler | undefined;
  private readinessKey: string | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) client: ClientKafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    private readonly metrics: RelayMetrics,
    @Inject(ENVELOPE_ENCODER) private readonly encode: EnvelopeEncoder,
  ) {
    this.kafka = client.createClient<Kafka>();
    this.producers = new ProducerSlot(() => this.kafka.then((kafka) => kafka.producer(kafkaProducerConfig())));
    this.sender = new KafkaSender(this.producers, {
      timeoutMs: config.publishTimeoutMs,
      onRequest: (records, failure) => {
        this.metrics.batchRecords.observe(records);
        this.connected(failure?.kind !== 'transient');
        // A refused record or topic is reported once it is settled (send, readiness); here, Kafka's absence.
        if (failure?.kind === 'transient' && !this.stopping) {
          this.logger.warn(`Kafka did not acknowledge a produce request of ${records} record(s), the producer is replaced: ${failure.message}`);
        }
      },
    });
    this.catalog = new TopicCatalog({
      config,
      admin: () => this.getAdmin(),
      dropAdmin: () => this.dropAdmin(),
      log: { info: (message) => this.logger.log(message), warn: (message) => this.logger.warn(message) },
    });
    this.shape = {
      ...config.batch,
      sizeOf: recordBytes,
      laneOf: (record) => record.topic,
      laneLimit: (topic) => this.catalog.limitOf(topic) - RECORD_BATCH_OVERHEAD,
    };
    this.batcher = new Batcher((records, deadline) => this.sender.send(records, deadline), this.shape);
  }

  /**
   * Opens the spool (SPOOL_DIR) before the relay serves: a spool that cannot be opened, or is
   * held by another process, stops the start rather than leaving records behind unnoticed.
   */
  async onModuleInit(): Promise<void> {
    const spool = this.config.spool;
    if (spool === undefined) return;
    const store = await SpoolStore.open(spool.dir, { maxBytes: spool.maxBytes });
    this.spoolStore = store;
    this.logger.log(`Spool at ${store.path}: ${store.pendingRecords} record(s), ${store.pendingBytes} byte(s) waiting for Kafka`);
    const spooler = new Spooler(store, this.batcher, {
      timeoutMs: this.config.publishTimeoutMs,
      stallMs: spool.stallSeconds * 1000,
      send: (records, deadline) => this.sendChecked(records, deadline),
      fitting: (records) => countFitting(records, this.shape, (record) => record),
      maxRecords: this.config.batch.maxRecords,
      kafkaReachable: async () => (await this.catalog.refresh(READINESS_MAX_AGE_MS)).error === undefined,
      events: this.spoolEvents(spool.stallSeconds),
    });
    this.spooler = spooler;
    this.metrics.watchSpool(() => spooler.state);
  }

  /** What the spool's drain reports, as log lines and metrics: each change once, not each retry. */
  private spoolEvents(stallSeconds: number): SpoolEvents {
    let lastError: string | undefined;
    return {
      drainFailed: (error) => {
        const message = String((error as Error)?.message ?? error);
        if (message !== lastError) this.logger.warn(`Draining the spool failed, retrying: ${message}`);
        lastError = message;
      },
      stalled: (state) =>
        this.logger.error(
          `The spool's drain has made no progress for ${Math.round(state.sinceProgressSeconds)} s (SPOOL_STALL_SECONDS=${stallSeconds}): ` +
            `${state.records} record(s) wait, the oldest ${Math.round(state.oldestAgeSeconds)} s old; last error: ${state.lastError ?? 'none'}`,
        ),
      resumed: () => {
        lastError = undefined;
        this.logger.log('The spool drains again');
      },
      deadLettered: (refusal) => {
        this.metrics.recordsRefused.inc({ reason: refusal.reason });
        this.metrics.deadLetters.inc({ reason: refusal.reason });
        this.logger.warn(`A spooled record was refused for good and published to ${this.config.topics.deadLetter} instead: ${refusal.message}`);
      },
    };
  }

  /** Connects in the background: the relay serves (and reports not ready) while Kafka is away. */
  onApplicationBootstrap(): void {
    void this.prepare();
  }

  /**
   * Runs after the HTTP server closed, so every request has been answered. What is left in the
   * batcher is sent (bounded by PUBLISH_TIMEOUT_MS: nothing answered waits on it), what is left
   * in the spool stays on disk for the next start.
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.checks);
    const grace = this.config.publishTimeoutMs;
    await this.spooler?.stop(grace);
    await settledWithin(this.batcher.flush(), grace);
    this.spoolStore?.close();
    await settledWithin(this.catalog.settled(), grace);
    await this.dropAdmin();
    await this.producers.close();
  }

  publish(event: CloudEvent, origin: WebhookOrigin): Promise<PublishReceipt> {
    const record = toKafkaRecord(event, origin.trace, this.config.topics, this.encode);
    let fallback: KafkaRecord | undefined;
    // Built only for a refused record, or one that is spooled; its reason is set on refusal
    // (refusedDeadLetter), so the one given here is a placeholder.
    const deadLetter = (): KafkaRecord =>
      (fallback ??= deadLetterRecord({ ...origin, reason: 'record_invalid', errors: [], entityId: event.data.entity_id }, this.config.topics));
    return this.send({ record, fallback: deadLetter });
  }

  async deadLetter(letter: DeadLetter): Promise<PublishReceipt> {
    const receipt = await this.send({ record: deadLetterRecord(letter, this.config.topics) });
    this.metrics.deadLetters.inc({ reason: letter.reason });
    return receipt;
  }

  /**
   * Ready while the metadata of every configured topic can be read and says it exists, and, with
   * a spool, while the spool is empty. A replica whose spool holds records stays out of the
   * Service until it has published them: webhooks then go to replicas that publish directly,
   * so fewer events can overtake the spooled ones (docs/guarantees.md, order across replicas).
   */
  async readiness(): Promise<Readiness> {
    if (this.stopping) return { ready: false, problems: ['The relay is shutting down'] };
    // A reading that fails retries its connection for several seconds (kafkajs); meanwhile the
    // last failed reading says why better than its absence does (a TLS or SASL refusal, say).
    const report = await withDeadline(this.catalog.refresh(READINESS_MAX_AGE_MS), READINESS_WAIT_MS, () => new Error()).catch(() =>
      this.catalog.report?.error !== undefined
        ? this.catalog.report
        : { at: Date.now(), error: `no answer within ${READINESS_WAIT_MS} ms`, topics: new Map() },
    );
    const problems = this.catalog.problems(report);
    const spool = this.spooler?.state;
    if (spool && spool.records > 0) {
      const waiting = `The spool holds ${spool.records} record(s) for Kafka, the oldest ${Math.round(spool.oldestAgeSeconds)} s old`;
      problems.push(
        spool.stalled
          ? `${waiting}, and its drain has made no progress for ${Math.round(spool.sinceProgressSeconds)} s (SPOOL_STALL_SECONDS): ${spool.lastError ?? 'no attempt has finished'}`
          : `${waiting}; this replica takes no webhooks until they are published`,
      );
    }
    this.reportReadiness(problems);
    return { ready: problems.length === 0, problems };
  }

  /** One log line each time the reasons change, so the log says when and why readiness turned. */
  private reportReadiness(problems: readonly string[]): void {
    this.metrics.ready.set(problems.length === 0 ? 1 : 0);
    // The spool's age changes every second: only its first words tell a new reason.
    const key = problems.map((problem) => problem.replace(/\d+/g, '#')).join('\n');
    if (key === this.readinessKey) return;
    this.readinessKey = key;
    if (problems.length === 0) this.logger.log('Ready: Kafka and every topic answer');
    else this.logger.warn(`Not ready: ${problems.join(' ')}`);
  }

  /**
   * Checks the record against what its topic accepts, then sends it (or spools it). A record
   * refused for good is replaced by its dead letter, and the caller gets the refusal, saying
   * where the webhook was kept.
   */
  private async send(outgoing: Outgoing): Promise<PublishReceipt> {
    const started = performance.now();
    try {
      const refusal = this.catalog.refusal(outgoing.record);
      if (refusal) throw refusal;
      const receipt = await (this.spooler ? this.spooler.send(outgoing) : this.sendDirect(outgoing.record));
      this.observe(started, receipt.spooled ? 'spooled' : 'acknowledged');
      return receipt;
    } catch (error) {
      this.observe(started, 'failed');
      if (!(error instanceof RecordRefusedError)) {
        // The topics' metadata may be stale: read it again before the next request relies on it.
        if (!(error instanceof PublishError)) void this.catalog.refresh(READINESS_MAX_AGE_MS);
        throw error;
      }
      this.metrics.recordsRefused.inc({ reason: error.reason });
      if (outgoing.fallback === undefined) throw error;
      const letter = refusedDeadLetter(outgoing.fallback(), error);
      await this.send({ record: letter });
      this.metrics.deadLetters.inc({ reason: error.reason });
      this.logger.warn(`${error.message}; the webhook is kept on ${letter.topic}`);
      throw new RecordRefusedError(error.topic, error.reason, error.message, letter.topic);
    }
  }

  /**
   * The drain's produce request, checked first against what the topics accept: a record over
   * its topic's limit is refused without sending, and from a record whose topic cannot take it
   * now on nothing is sent (it would only time out, and what follows it must wait for it).
   */
  private async sendChecked(records: readonly KafkaRecord[], deadline: number): Promise<Settlement<PublishReceipt>[]> {
    const refusals = records.map((record) => this.catalog.refusal(record));
    const blocked = refusals.findIndex((refusal) => refusal instanceof TopicUnavailableError);
    const end = blocked < 0 ? records.length : blocked;
    const sendable = records.slice(0, end).filter((_, index) => refusals[index] === undefined);
    const sent = sendable.length > 0 ? await this.sender.send(sendable, deadline) : [];
    let next = 0;
    return records.map((_, index) => {
      const refusal = refusals[index];
      if (index < end) return refusal ? { ok: false, error: refusal } : sent[next++]!;
      return { ok: false, error: index === blocked ? refusal : new PublishError('Not sent: an earlier record of its produce request could not be') };
    });
  }

  private observe(started: number, outcome: 'acknowledged' | 'spooled' | 'failed'): void {
    this.metrics.publishDuration.observe({ outcome }, (performance.now() - started) / 1000);
  }

  private sendDirect(record: KafkaRecord): Promise<PublishReceipt> {
    // Kafka refuses this relay (TLS, SASL) as of the last reading: answer now rather than after
    // PUBLISH_TIMEOUT_MS of retries that cannot succeed until a setting changes. The next
    // reading (every RECONNECT_DELAY_MS until connected, then TOPIC_CHECK_INTERVAL_MS) clears it.
    const refused = this.catalog.report?.accessFailure;
    if (refused) return Promise.reject(new PublishError(`Kafka refuses the relay's connection (${refused.summary})`));
    const timeout = this.config.publishTimeoutMs;
    const timedOut = () => new PublishError(`Kafka did not acknowledge the record within ${timeout} ms`);
    // An item can expire in the queue a moment before the deadline's timer fires.
    return withDeadline(this.batcher.add(record, Date.now() + timeout), timeout, timedOut, (error) =>
      error instanceof ExpiredError ? timedOut() : error,
    );
  }

  /**
   * Reads the topics and connects the producer, then keeps reading the topics every
   * TOPIC_CHECK_INTERVAL_MS. The topics first: their reading keeps why Kafka refuses this relay
   * (TLS, SASL), which readiness and webhooks report.
   */
  private async prepare(): Promise<void> {
    let refusal: string | undefined;
    while (!this.stopping) {
      try {
        const report = await this.catalog.refresh();
        if (report.error !== undefined) throw new Error(report.error);
        await this.producers.run(async () => undefined);
        this.connected(true);
        this.logger.log(`Connected to Kafka at ${this.config.brokers.join(',')}`);
        const problems = this.catalog.problems(report);
        if (problems.length > 0) this.reportReadiness(problems);
        this.scheduleChecks();
        return;
      } catch (error) {
        this.connected(false);
        // A shutdown during the first connection fails it on purpose; that is no news to log.
        if (this.stopping) return;
        const access = this.catalog.report?.accessFailure ?? kafkaAccessFailure(error, this.config);
        if (access === undefined) {
          refusal = undefined;
          this.logger.warn(`Kafka is not reachable yet (${String(error)}); retrying in ${RECONNECT_DELAY_MS} ms`);
        } else if (access.message !== refusal) {
          // A setting must change: said once at ERROR (and by readiness), not at every retry.
          refusal = access.message;
          this.logger.error(`Kafka refuses this relay's connection: ${access.message}. Retrying every ${RECONNECT_DELAY_MS} ms`);
        }
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS).unref());
      }
    }
  }

  private scheduleChecks(): void {
    if (this.stopping) return;
    this.checks = setTimeout(() => {
      void this.catalog
        .refresh(READINESS_MAX_AGE_MS)
        .then((report) => this.connected(report.error === undefined))
        .finally(() => this.scheduleChecks());
    }, TOPIC_CHECK_INTERVAL_MS).unref();
  }

  private connected(up: boolean): void {
    this.metrics.kafkaConnected.set(up ? 1 : 0);
  }

  private getAdmin(): Promise<Admin> {
    // After shutdown has dropped it, no reading may open a new one (its connection would outlive the app).
    if (this.stopping) return Promise.reject(new Error('The relay is shutting down'));
    this.admin ??= this.kafka.then(async (kafka) => {
      const admin = kafka.admin({ retry: { retries: 0 } });
      await admin.connect();
      return admin;
    });
    return this.admin;
  }

  private async dropAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.then((a) => a.disconnect()).catch(() => undefined);
  }
}
