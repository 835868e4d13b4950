import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ClientKafka } from '@nestjs/microservices';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { KAFKA_CONFIG } from '../config/config.tokens.js';
import type { KafkaConfig } from '../config/kafka.config.js';
import type { CloudEvent } from '../envelope/envelope.js';
import { withDeadline } from './deadline.js';
import {
  PublishError,
  type EventPublisher,
  type PublishReceipt,
  type PublisherHealth,
  type TraceContext,
} from './event-publisher.js';
import { KAFKA_CLIENT } from './kafka-client.options.js';
import { toKafkaRecord, type KafkaRecord } from './kafka-record.js';

const RECONNECT_DELAY_MS = 2000;
const HEALTH_TIMEOUT_MS = 2000;

/** The EventPublisher adapter for Kafka (kafkajs, through Nest's ClientKafka). */
@Injectable()
export class KafkaEventPublisher implements EventPublisher, PublisherHealth, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaEventPublisher.name);
  private topicsReady: boolean;
  private stopping = false;
  private admin: Promise<Admin> | undefined;
  private replacing: Promise<void> | undefined;

  constructor(
    @Inject(KAFKA_CLIENT) private readonly client: ClientKafka,
    @Inject(KAFKA_CONFIG) private readonly config: KafkaConfig,
  ) {
    this.topicsReady = !config.createTopics;
  }

  /** Connects in the background: the relay serves (and reports not ready) while Kafka is away. */
  onApplicationBootstrap(): void {
    void this.prepare();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.dropAdmin();
    await this.client.close();
  }

  publish(event: CloudEvent, trace: TraceContext): Promise<PublishReceipt> {
    const timeout = this.config.publishTimeoutMs;
    return withDeadline(
      this.send(toKafkaRecord(event, trace, this.config.topics)),
      timeout,
      () => new PublishError(`Kafka did not acknowledge the record within ${timeout} ms`),
    );
  }

  async isReady(): Promise<boolean> {
    if (!this.topicsReady || this.stopping) return false;
    try {
      const admin = await this.getAdmin();
      await withDeadline(admin.describeCluster(), HEALTH_TIMEOUT_MS, () => new Error('describeCluster timed out'));
      return true;
    } catch {
      await this.dropAdmin();
      return false;
    }
  }

  private async send({ topic, message }: KafkaRecord): Promise<PublishReceipt> {
    await this.replacing;
    let producer: Producer;
    try {
      producer = await this.client.connect();
    } catch (error) {
      throw new PublishError('Kafka is unreachable', { cause: error });
    }
    try {
      const [result] = await producer.send({ topic, acks: -1, messages: [message] });
      return { topic, partition: result?.partition ?? -1, offset: result?.baseOffset ?? '' };
    } catch (error) {
      this.replaceProducer(producer, error);
      throw new PublishError('Kafka did not acknowledge the record', { cause: error });
    }
  }

  /**
   * After a failed send the idempotent producer's sequence numbers are rolled back, yet the
   * broker may have written that batch: the next batch could then reuse its sequence and be
   * dropped by the broker as a duplicate while reported as written. A new producer (new
   * producer id) cannot collide, as the Java client's epoch bump achieves (KIP-360).
   */
  private replaceProducer(failed: Producer, cause: unknown): void {
    if (this.replacing || !this.isCurrent(failed)) return;
    this.logger.warn(`Kafka send failed (${String(cause)}); replacing the producer`);
    this.replacing = this.client
      .close()
      .catch((error: unknown) => this.logger.warn(`Closing the failed producer: ${String(error)}`))
      .finally(() => (this.replacing = undefined));
  }

  private isCurrent(producer: Producer): boolean {
    try {
      return this.client.producer === producer;
    } catch {
      return false; // already closed
    }
  }

  private async prepare(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.client.connect();
        if (this.config.createTopics) await this.ensureTopics();
        this.topicsReady = true;
        this.logger.log(`Connected to Kafka at ${this.config.brokers.join(',')}`);
        return;
      } catch (error) {
        this.logger.warn(`Kafka is not reachable yet (${String(error)}); retrying in ${RECONNECT_DELAY_MS} ms`);
        await this.dropAdmin();
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS).unref());
      }
    }
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
    this.admin ??= this.client.createClient<Kafka>().then(async (kafka) => {
      const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
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
