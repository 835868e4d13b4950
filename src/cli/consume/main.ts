#!/usr/bin/env node
import 'reflect-metadata';
import type { Kafka, Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { RelayConfig } from '../../config/relay-config.js';
import { kafkajsClientConfig } from '../../publishing/kafka-client.options.js';
import { kafkajs } from '../../kafkajs/kafkajs.js';
import { loadConfigFor, usageError, write, warnOnStderr } from '../cli-io.js';
import { parseConsumeOptions, resolveTopics, UsageError, type ConsumeOptions } from './consume-options.js';
import { readRecord } from './consumed-record.js';
import { jsonLine, textBlock } from './record-format.js';

const USAGE = `Usage: npm run consume -- [--topic <topic>]... [--from-beginning] [--group <id>] [--max <n>] [--json]
       dropea-relay-consume [options]   (node dist/cli/consume/main.js)

Prints the records of the relay's normalised topics as they arrive: topic, partition, offset,
key, the headers that add to the value, and the CloudEvents envelope, pretty-printed in the
same JSON whatever format the relay wrote it in. It reads the relay's own environment
variables (KAFKA_BROKERS, KAFKA_SSL, KAFKA_SASL_*, KAFKA_TOPIC_*, ...).

  -t, --topic <topic>  orders, incidences or dlq (the topics KAFKA_TOPIC_ORDERS, _INCIDENCES
                       and _DLQ name) or any topic name; repeat it or separate with commas;
                       default: orders and incidences
  --from-beginning     start at the earliest record; without it, only records that arrive
                       from now on
  -g, --group <id>     join this consumer group and commit what was printed, so the next run
                       with the group goes on where this one stopped (--from-beginning then
                       counts only while the group has no committed offset); without it, a
                       throwaway group that commits nothing
  -n, --max <n>        exit after <n> records
  --json               one JSON object per line: topic, partition, offset, timestamp, key,
                       every header, kind ("event", "dead-letter", "undecodable") and the
                       envelope (or the dead letter's body)
  -h, --help           print this text

Ctrl-C stops it: it leaves the group, disconnects and exits 0.
Exit status: 0 after --max records or Ctrl-C, 1 on a Kafka error, 64 on a bad argument,
78 on a bad configuration.
`;

async function main(args: readonly string[]): Promise<number> {
  let options: ConsumeOptions;
  try {
    options = parseConsumeOptions(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError('consume', error.message, USAGE);
  }
  if (options.help) {
    await write(process.stdout, USAGE);
    return 0;
  }

  const config = await loadConfigFor('consume', process.env);
  if (typeof config === 'number') return config;
  let topics: string[];
  try {
    topics = resolveTopics(options.topics, config.kafka.topics);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError('consume', error.message, USAGE);
  }
  return consume(config, topics, options);
}

async function consume(config: RelayConfig, topics: readonly string[], options: ConsumeOptions): Promise<number> {
  const client = kafkajsClientConfig(config.kafka, config.http.logLevel);
  // Its own client id, so broker logs and quotas tell this reader from the relay.
  const kafka = new kafkajs.Kafka({ ...client, clientId: `${config.kafka.clientId}-consume` });
  const end = new Ending();
  const interrupted = (): void => {
    // A second Ctrl-C does not wait for the group to be left.
    if (end.reached) process.exit(130);
    end.reach();
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  // A reader that closes the pipe early (`| head`) ends the run like Ctrl-C.
  process.stdout.on('error', () => end.reach());

  let consumer: Consumer | undefined;
  let printed = 0;
  let failure: unknown;
  try {
    await requireTopics(kafka, topics);
    consumer = kafka.consumer({
      // kafkajs reads only as a member of a group; without --group it is one of its own that
      // commits nothing, so the run leaves no position behind.
      groupId: options.group ?? `dropea-relay-consume-${randomUUID()}`,
      allowAutoTopicCreation: false,
      // Bounds how long a fetch waits for records, hence how long Ctrl-C waits for the fetch.
      maxWaitTimeInMs: 500,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) end.fail(payload.error);
      else void write(process.stderr, `consume: ${payload.error.message}; rejoining\n`);
    });
    // The first fetch comes once every partition has its starting offset, so a record
    // published after this line is printed even without --from-beginning.
    let announced = false;
    consumer.on(consumer.events.FETCH, () => {
      if (announced) return;
      announced = true;
      const from = options.fromBeginning ? 'from the beginning' : 'new records only';
      void write(process.stderr, `Reading ${topics.join(', ')} (${from}; Ctrl-C stops)\n`);
    });

    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning });
    await consumer.run({
      autoCommit: options.group !== undefined,
      // An offset is resolved, and with --group committed, only once its record is printed:
      // records fetched past --max or Ctrl-C stay for the group's next run.
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        for (const message of batch.messages) {
          if (end.reached) return;
          const record = readRecord(batch.topic, batch.partition, message.offset, message);
          await write(process.stdout, options.json ? jsonLine(record) : textBlock(record));
          resolveOffset(message.offset);
          printed += 1;
          if (options.max !== undefined && printed >= options.max) end.reach();
        }
      },
    });
    await end.promise;
  } catch (error) {
    failure = error;
  } finally {
    await consumer?.disconnect().catch(() => undefined);
  }

  if (failure !== undefined) {
    await write(process.stderr, `consume: stopped by a Kafka error after ${printed} record(s): ${describe(failure)}\n`);
    return 1;
  }
  await write(process.stderr, `${printed} record(s)\n`);
  return 0;
}

/** Resolves when the run should end: --max reached, Ctrl-C, or a crash kafkajs does not recover from. */
class Ending {
  reached = false;
  readonly promise: Promise<void>;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    // A crash before the promise is awaited is still reported there.
    this.promise.catch(() => undefined);
  }

  reach(): void {
    this.reached = true;
    this.settle.resolve();
  }

  fail(error: unknown): void {
    this.reached = true;
    this.settle.reject(error);
  }
}

/** A missing topic is named at once; subscribing to it would only retry until the retries run out. */
async function requireTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new Error(`topic ${missing.join(', ')} does not exist (see KAFKA_TOPIC_* and --topic)`);
  } finally {
    await admin.disconnect();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // kafkajs wraps the last attempt's error, often with the same message.
  const cause = error.cause instanceof Error && error.cause.message !== error.message ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

warnOnStderr('consume');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is disconnected and written by now; a handle a library leaves open must not
    // keep the process alive.
    setTimeout(() => process.exit(), 5000).unref();
  },
  async (error: unknown) => {
    await write(process.stderr, `consume: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
