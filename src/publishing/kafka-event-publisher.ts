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
import type { DeadLetter } from '../dead-letter/dead-letter.js';
import type { CloudEvent } from '../envelope/envelope.js';
import { Batcher, ExpiredError } from './batcher.js';
import { settledWithin, withDeadline } from './deadline.js';
import {
  PublishError,
  type EventPublisher,
  type PublishReceipt,
  type PublisherHealth,
  type TraceContext,
} from './event-publisher.js';
import { KAFKA_CLIENT, kafkaProducerConfig } from './kafka-client.options.js';
import { byTopic, deadLetterRecord, recordBytes, toKafkaRecord, type KafkaRecord } from './kafka-record.js';
import { ProducerSlot } from './producer-slot.js';
import { Spooler } from './spooler.js';
import { SpoolLog } from '../spool/spool-log.js';
import { RelayMetrics } from '../metrics/relay-metrics.js';

const RECONNECT_DELAY_MS = 2000;

/**
 * The EventPublisher adapter for Kafka. Nest's ClientKafka builds the kafkajs client from the
 * configuration (and routes its logs to Nest's logger); this class owns the producer and admin
 * made from it.
 */
@Injectable()
export class KafkaEventPublisher
  implements EventPublisher, PublisherHealth, OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger(KafkaEventPublisher.name);
  private readonly kafka: Promise<Kafka>;
  private readonly producers: ProducerSlot;
  private readonly batcher: Batcher<KafkaRecord, PublishReceipt>;
  private topicsReady: boolean;
  private stopping = false;
  private admin: Promise<Admin> | undefined;
  private probe: Promise<boolean> | undefined;
  private spoolLog: SpoolLog | undefined;
  private spooler: Spooler | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) client: ClientKafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
    private readonly metrics: RelayMetrics,
  ) {
    this.kafka = client.createClient<Kafka>();
    this.producers = new ProducerSlot(() => this.kafka.then((kafka) => kafka.producer(kafkaProducerConfig())));
    this.batcher = new Batcher((records) => this.sendBatch(records), config.batch, recordBytes);
    this.topicsReady = !config.createTopics;
  }

  /**
   * Opens the spool (SPOOL_DIR) before the relay serves: a spool that cannot be opened, or is
   * held by another process, stops the start rather than leaving records behind unnoticed.
   */
  async onModuleInit(): Promise<void> {
    const spool = this.config.spool;
    if (spool === undefined) return;
    this.spoolLog = await SpoolLog.open(spool.dir, {
      maxBytes: spool.maxBytes,
      report: (message) => this.logger.warn(`Spool: ${message}`),
    });
    const { records, bytes } = this.spoolLog.openReport;
    this.logger.log(`Spool at ${spool.dir}: ${records} record(s), ${bytes} byte(s) waiting for Kafka`);
    this.metrics.watchSpool(this.spoolLog);
    this.spooler = new Spooler(this.spoolLog, this.batcher, {
      timeoutMs: this.config.publishTimeoutMs,
      drainBatch: this.config.batch,
      kafkaReachable: () => this.kafkaReachable(),
      onDrainError: (error) => this.logger.warn(`Draining the spool failed, retrying: ${String(error)}`),
    });
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
    const grace = this.config.publishTimeoutMs;
    await this.spooler?.stop(grace);
    await settledWithin(this.batcher.flush(), grace);
    await this.spoolLog?.close();
    await this.probe;
    await this.dropAdmin();
    await this.producers.close();
  }

  publish(event: CloudEvent, trace: TraceContext): Promise<PublishReceipt> {
    return this.send(toKafkaRecord(event, trace, this.config.topics, this.config.envelopeFormat));
  }

  deadLetter(letter: DeadLetter): Promise<PublishReceipt> {
    return this.send(deadLetterRecord(letter, this.config.topics));
  }

  private send(record: KafkaRecord): Promise<PublishReceipt> {
    const started = performance.now();
    const sent = this.spooler ? this.spooler.send(record) : this.sendDirect(record);
    const seconds = () => (performance.now() - started) / 1000;
    sent.then(
      ({ spooled }) => this.metrics.publishDuration.observe({ outcome: spooled ? 'spooled' : 'acknowledged' }, seconds()),
      () => this.metrics.publishDuration.observe({ outcome: 'failed' }, seconds()),
    );
    return sent;
  }

  private sendDirect(record: KafkaRecord): Promise<PublishReceipt> {
    const timeout = this.config.publishTimeoutMs;
    const timedOut = () => new PublishError(`Kafka did not acknowledge the record within ${timeout} ms`);
    const published = this.batcher
      .add(record, Date.now() + timeout)
      // An item can expire in the queue a moment before the deadline's timer fires.
      .catch((error: unknown) => Promise.reject(error instanceof ExpiredError ? timedOut() : error));
    return withDeadline(published, timeout, timedOut);
  }

  /**
   * Ready while Kafka answers; with a spool, also while Kafka is away, because every request
   * still gets a durable answer (202 spooled) instead of a 503.
   */
  async isReady(): Promise<boolean> {
    if (this.stopping) return false;
    return (await this.kafkaReachable()) || this.spooler !== undefined;
  }

  /**
   * Asks the cluster for its brokers. Concurrent probes share one request, and the request is
   * never abandoned half-way: an admin client dropped while retrying would reconnect by itself
   * and leak its connection. With no retries it settles within the connection timeout.
   */
  private kafkaReachable(): Promise<boolean> {
    if (!this.topicsReady || this.stopping) return Promise.resolve(false);
    this.probe ??= this.getAdmin()
      .then((admin) => admin.describeCluster())
      .then(
        () => this.connected(true),
        async () => {
          await this.dropAdmin();
          return this.connected(false);
        },
      )
      .finally(() => (this.probe = undefined));
    return this.probe;
  }

  /** One produce request for a whole batch; records of a topic keep their order. */
  private async sendBatch(records: KafkaRecord[]): Promise<PublishReceipt[]> {
    this.metrics.batchRecords.observe(records.length);
    try {
      await this.producers.run((producer) => producer.sendBatch({ acks: -1, topicMessages: byTopic(records) }));
      this.connected(true);
    } catch (error) {
      this.connected(false);
      if (!this.stopping) this.logger.warn(`Kafka send failed, the producer is replaced: ${String(error)}`);
      throw new PublishError('Kafka did not acknowledge the record', { cause: error });
    }
    return records.map(({ topic }) => ({ topic, spooled: false }));
  }

  private async prepare(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.producers.run(async () => undefined);
        if (this.config.createTopics) await this.ensureTopics();
        this.topicsReady = true;
        this.connected(true);
        this.logger.log(`Connected to Kafka at ${this.config.brokers.join(',')}`);
        return;
      } catch (error) {
        this.logger.warn(`Kafka is not reachable yet (${String(error)}); retrying in ${RECONNECT_DELAY_MS} ms`);
        await this.dropAdmin();
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS).unref());
      }
    }
  }

  private connected(up: boolean): boolean {
    this.metrics.kafkaConnected.set(up ? 1 : 0);
    return up;
  }

  private async ensureTopics(): Promise<void> {
    const admin = await this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = Object.values(this.config.topics).filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.config.partitions,
        replicationFactor: this.config.replicationFactor,
      })),
    });
    this.logger.log(`Created topics ${missing.join(', ')}`);
  }

  private getAdmin(): Promise<Admin> {
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
