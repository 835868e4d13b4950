import type { Admin, ConfigResourceTypes } from 'kafkajs';
import type { KafkaConfig, KafkaTopics } from '../config/kafka.config.js';
import { RecordRefusedError, type TopicProblem, type TopicUnavailableError } from './event-publisher.js';
import { kafkaAccessFailure, type KafkaAccessFailure } from './kafka-access-failure.js';
import { classifyKafkaError } from './kafka-failure.js';
import type { KafkaRecord } from './kafka-record.js';
import { singleRecordBatchSize } from './record-size.js';
import { topicUnavailable } from './topic-problem.js';

/** What the relay last learnt of one of its topics. */
export interface TopicState {
  /** Why no record can go to it now; undefined when it exists and its metadata was read. */
  readonly problem?: TopicProblem;
  /** Its max.message.bytes, when the client may read it (DescribeConfigs). */
  readonly maxMessageBytes?: number;
}

/** One reading of the topics' metadata. */
export interface TopicReport {
  /** When it was taken, in ms since the epoch. */
  readonly at: number;
  /** Why the metadata could not be read at all (Kafka unreachable, say); then `topics` is empty. */
  readonly error?: string;
  /** When `error` is Kafka refusing this relay (TLS, SASL): what failed and the setting to check. */
  readonly accessFailure?: KafkaAccessFailure;
  readonly topics: ReadonlyMap<string, TopicState>;
  /** Why KAFKA_CREATE_TOPICS=true could not create the missing topics, when it could not. */
  readonly createError?: string;
}

/** ConfigResourceTypes.TOPIC (kafkajs's enum is not an ES-module export): the DescribeConfigs resource type of a topic. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** The variable that names each topic, for messages that say what to change. */
const TOPIC_VARIABLES: Readonly<Record<keyof KafkaTopics, string>> = {
  orders: 'KAFKA_TOPIC_ORDERS',
  incidences: 'KAFKA_TOPIC_INCIDENCES',
  deadLetter: 'KAFKA_TOPIC_DLQ',
};

export interface TopicCatalogOptions {
  readonly config: KafkaConfig;
  /** The admin client, connected; `dropAdmin` is called after it failed, so the next read connects afresh. */
  readonly admin: () => Promise<Admin>;
  readonly dropAdmin: () => Promise<void>;
  readonly log: { info(message: string): void; warn(message: string): void };
  readonly now?: () => number;
}

/**
 * The relay's three topics as Kafka has them: whether each exists, whether this client can read
 * its metadata, and its max.message.bytes. `/health/ready` reads it, and every record is checked
 * against it before it is sent, so a record that cannot be written is answered at once, naming
 * why, instead of after PUBLISH_TIMEOUT_MS.
 *
 * Each topic's metadata is asked for on its own and never with auto-creation
 * (kafkajs's admin client sets allow_auto_topic_creation=false on its Metadata requests), so
 * with KAFKA_CREATE_TOPICS=false no topic is ever created, even on a broker whose
 * `auto.create.topics.enable` is on. With KAFKA_CREATE_TOPICS=true, missing topics are created
 * (CreateTopics) with KAFKA_TOPIC_PARTITIONS and KAFKA_REPLICATION_FACTOR.
 */
export class TopicCatalog {
  private last: TopicReport | undefined;
  private reading: Promise<TopicReport> | undefined;
  private limitsUnreadable = false;
  private readonly now: () => number;

  constructor(private readonly options: TopicCatalogOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The last reading, if any. */
  get report(): TopicReport | undefined {
    return this.last;
  }

  /**
   * Reads the metadata again, unless a reading younger than `maxAgeMs` exists; concurrent
   * callers share one reading.
   */
  refresh(maxAgeMs = 0): Promise<TopicReport> {
    if (this.last && this.now() - this.last.at < maxAgeMs) return Promise.resolve(this.last);
    this.reading ??= this.read()
      .then((report) => (this.last = report))
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** Resolves once a reading under way (if any) has finished. */
  async settled(): Promise<void> {
    await this.reading;
  }

  /** Sentences saying why the topics cannot take records now, each naming its fix; empty when they can. */
  problems(report: TopicReport): string[] {
    if (report.accessFailure !== undefined) return [`Kafka refuses this relay's connection: ${report.accessFailure.message}`];
    if (report.error !== undefined) return [`Kafka's metadata cannot be read at ${this.options.config.brokers.join(',')}: ${report.error}`];
    const problems: string[] = [];
    for (const [name, topic] of Object.entries(this.options.config.topics) as [keyof KafkaTopics, string][]) {
      const problem = report.topics.get(topic)?.problem;
      if (problem === undefined) continue;
      problems.push(
        problem === 'topic_missing' && report.createError !== undefined
          ? `${TOPIC_VARIABLES[name]}: Topic ${topic} does not exist and KAFKA_CREATE_TOPICS=true could not create it yet (${report.createError}); the relay tries again at each reading. If its Kafka user may not create topics, grant it Create, or create the topic yourself`
          : `${TOPIC_VARIABLES[name]}: ${topicUnavailable(topic, problem).message}`,
      );
    }
    return problems;
  }

  /**
   * Why `record` cannot be written, as far as the last reading tells: its topic is missing or
   * not writable, or the record alone is over the topic's max.message.bytes. Undefined when it
   * may be sent (or nothing is known yet).
   */
  refusal(record: KafkaRecord): TopicUnavailableError | RecordRefusedError | undefined {
    const state = this.last?.topics.get(record.topic);
    if (state?.problem !== undefined) return topicUnavailable(record.topic, state.problem);
    if (state?.maxMessageBytes === undefined) return undefined;
    const bytes = singleRecordBatchSize(record.message);
    if (bytes <= state.maxMessageBytes) return undefined;
    return new RecordRefusedError(
      record.topic,
      'record_too_large',
      `The record is ${bytes} bytes and topic ${record.topic} accepts at most ${state.maxMessageBytes} (max.message.bytes)`,
    );
  }

  /** The topic's max.message.bytes, or Infinity while unknown. */
  limitOf(topic: string): number {
    return this.last?.topics.get(topic)?.maxMessageBytes ?? Number.POSITIVE_INFINITY;
  }

  private async read(): Promise<TopicReport> {
    const at = this.now();
    const topics = [...new Set(Object.values(this.options.config.topics))];
    try {
      const admin = await this.options.admin();
      const states = new Map<string, TopicState>();
      for (const topic of topics) states.set(topic, await this.stateOf(admin, topic));
      const missing = topics.filter((topic) => states.get(topic)?.problem === 'topic_missing');
      let createError: string | undefined;
      if (this.options.config.createTopics && missing.length > 0) {
        try {
          await this.create(admin, missing);
          for (const topic of missing) states.set(topic, await this.stateOnceServed(admin, topic));
        } catch (error) {
          // Named in readiness; the next reading tries again with a new admin client, as after
          // any failure (kafkajs's client can keep stale metadata after one).
          createError = classifyKafkaError(error).message;
          await this.options.dropAdmin();
          return { at, topics: states, createError };
        }
      }
      await this.readLimits(admin, states);
      return { at, topics: states, ...(createError !== undefined ? { createError } : {}) };
    } catch (error) {
      await this.options.dropAdmin();
      const accessFailure = kafkaAccessFailure(error, this.options.config);
      if (accessFailure) return { at, error: accessFailure.message, accessFailure, topics: new Map() };
      return { at, error: String((error as Error)?.message ?? error), topics: new Map() };
    }
  }

  /** One topic's metadata: every partition must have a leader. */
  private async stateOf(admin: Admin, topic: string): Promise<TopicState> {
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      return {};
    } catch (error) {
      const failure = classifyKafkaError(error);
      if (failure.kind === 'topic') return { problem: failure.reason };
      throw new Error(`the metadata of topic ${topic} cannot be read: ${failure.message}`, { cause: error });
    }
  }

  private async create(admin: Admin, missing: readonly string[]): Promise<void> {
    const { partitions: numPartitions, replicationFactor } = this.options.config;
    await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions, replicationFactor })) });
    this.options.log.info(`Created topics ${missing.join(', ')} (KAFKA_CREATE_TOPICS=true)`);
  }

  /**
   * A topic just created reaches the broker's metadata a moment after CreateTopics returns: its
   * state once it is served, or still missing after a few seconds (the next reading looks again).
   */
  private async stateOnceServed(admin: Admin, topic: string): Promise<TopicState> {
    let state = await this.stateOf(admin, topic);
    for (let attempt = 0; state.problem === 'topic_missing' && attempt < 25; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      state = await this.stateOf(admin, topic);
    }
    return state;
  }

  /**
   * max.message.bytes of the topics that exist (its effective value, a broker default
   * included). Without the DescribeConfigs permission records are not checked before sending;
   * Kafka's own refusal of a record still fails that record alone (kafka-sender.ts).
   */
  private async readLimits(admin: Admin, states: Map<string, TopicState>): Promise<void> {
    const existing = [...states].filter(([, state]) => state.problem === undefined).map(([topic]) => topic);
    if (existing.length === 0) return;
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: existing.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['max.message.bytes'] })),
      });
      for (const resource of resources) {
        const value = Number(resource.configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue);
        if (Number.isSafeInteger(value) && value > 0) states.set(resource.resourceName, { maxMessageBytes: value });
      }
      this.limitsUnreadable = false;
    } catch (error) {
      if (!this.limitsUnreadable) {
        this.options.log.warn(
          `The topics' max.message.bytes cannot be read (${String((error as Error)?.message ?? error)}): records are not checked against it before they are sent`,
        );
      }
      this.limitsUnreadable = true;
      // Keep what an earlier reading knew.
      for (const topic of existing) {
        const known = this.last?.topics.get(topic)?.maxMessageBytes;
        if (known !== undefined) states.set(topic, { maxMessageBytes: known });
      }
    }
  }
}
