#!/usr/bin/env node
import 'reflect-metadata';
import type { Kafka, Producer } from 'kafkajs';
import { parseArgs } from 'node:util';
import type { RelayConfig } from '../../config/relay-config.js';
import { envelopeEncoder } from '../../envelope/envelope-format.js';
import { kafkajsClientConfig, kafkaProducerConfig } from '../../publishing/kafka-client.options.js';
import { kafkajs } from '../../kafkajs/kafkajs.js';
import { byTopic, type KafkaRecord } from '../../publishing/kafka-record.js';
import { loadConfigFor, usageError, write, warnOnStderr } from '../cli-io.js';
import { readDeadLetters } from './dead-letter-reader.js';
import {
  inProduceRequests,
  jsonReport,
  replayDeadLetter,
  reportLine,
  summaryLine,
  tally,
  type BatchSize,
  type ReplayedRecord,
} from './dlq-replay.js';

const USAGE = `Usage: npm run dlq:replay -- [--apply] [--json]
       dropea-relay-dlq-replay [--apply] [--json]   (node dist/cli/dlq-replay/main.js)

Reads the dead-letter topic (KAFKA_TOPIC_DLQ) from its beginning up to where it ends when the
run starts, runs every record through the relay's current validation and normalisation, and
reports which records would now be published and which still fail. It reads the relay's own
environment variables (KAFKA_BROKERS, KAFKA_TOPIC_*, CE_SOURCE, KAFKA_SSL, KAFKA_SASL_*, ...);
CE_SOURCE must be the relay's, since it is part of every event id.

  --apply     publish the records that pass now to KAFKA_TOPIC_ORDERS or KAFKA_TOPIC_INCIDENCES,
              in dead-letter order, exactly as the relay would have published them then
              (idempotent producer, acks=all); without it nothing is published (dry run)
  --json      print one JSON object instead of a line per record and a summary
  -h, --help  print this text

Nothing is deleted from or moved out of the dead-letter topic (Kafka topics are append-only),
so running with --apply again publishes the same events again. That is safe: an event's id is
derived from its content and is the id the relay would have given it, and consumers
deduplicate on id.

Exit status: 0 when every record was read (even if some still fail), 1 on a Kafka error,
64 on a bad argument, 78 on a bad configuration.
`;

async function main(args: readonly string[]): Promise<number> {
  let options: { apply?: boolean; json?: boolean; help?: boolean };
  try {
    options = parseArgs({
      args: [...args],
      options: { apply: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usageError('dlq-replay', (error as Error).message, USAGE);
  }
  if (options.help) {
    await write(process.stdout, USAGE);
    return 0;
  }

  const config = await loadConfigFor('dlq-replay', process.env);
  if (typeof config === 'number') return config;
  return replay(config, options.apply === true, options.json === true);
}

async function replay(config: RelayConfig, apply: boolean, json: boolean): Promise<number> {
  const topic = config.kafka.topics.deadLetter;
  const client = kafkajsClientConfig(config.kafka, config.http.logLevel);
  // Its own client id, so broker logs and quotas tell the replay from the relay.
  const kafka = new kafkajs.Kafka({ ...client, clientId: `${config.kafka.clientId}-dlq-replay` });
  const settings = { source: config.webhooks.ceSource, topics: config.kafka.topics, encode: await envelopeEncoder(config.kafka.envelopeFormat) };
  const replayed: ReplayedRecord[] = [];
  let producer: Producer | undefined;
  let failure: unknown;

  if (!json) {
    const mode = apply ? 'publishing the records that pass now' : 'dry run: nothing is published; --apply publishes';
    await write(process.stdout, `Replaying ${topic} (${mode})\n`);
  }
  try {
    if (apply) {
      // Connected before the read, so an unreachable broker or a refused login stops the run at once.
      producer = kafka.producer(kafkaProducerConfig());
      await producer.connect();
    }
    await readDeadLetters(kafka, topic, async (entries) => {
      const batch = entries.map(({ partition, offset, message }) => ({
        partition,
        offset,
        key: message.key?.toString('utf8') ?? null,
        outcome: replayDeadLetter(message, settings),
      }));
      if (producer !== undefined) {
        const records = batch.flatMap(({ outcome }) => (outcome.kind === 'publish' ? [outcome.record] : []));
        await publish(producer, records, config.kafka.batch);
      }
      // Reported only once published, so the report never claims more than Kafka acknowledged.
      replayed.push(...batch);
      if (!json) await write(process.stdout, batch.map((entry) => `${reportLine(entry, apply)}\n`).join(''));
    });
  } catch (error) {
    failure = error;
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }

  const error = failure === undefined ? undefined : describe(failure);
  if (json) {
    await write(process.stdout, `${JSON.stringify(jsonReport(topic, replayed, apply, error), null, 2)}\n`);
  } else if (error === undefined) {
    await write(process.stdout, `${summaryLine(tally(replayed), apply)}\n`);
  } else {
    const counts = tally(replayed);
    const done = apply ? `; ${counts.publish} record(s) published before it` : '';
    await write(process.stderr, `dlq-replay: stopped by a Kafka error after ${counts.records} record(s)${done}: ${error}\n`);
  }
  return error === undefined ? 0 : 1;
}

/** The records of one fetched batch, in their order, within the relay's request limits. */
async function publish(producer: Producer, records: readonly KafkaRecord[], size: BatchSize): Promise<void> {
  for (const request of inProduceRequests(records, size)) {
    await producer.sendBatch({ acks: -1, topicMessages: byTopic(request) });
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // kafkajs wraps the last attempt's error, often with the same message.
  const cause = error.cause instanceof Error && error.cause.message !== error.message ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

// A reader that closes the pipe early (`| head`) is not an error of the replay.
process.stdout.on('error', () => undefined);

warnOnStderr('dlq-replay');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is disconnected and written by now; a handle a library leaves open must not
    // keep the process alive.
    setTimeout(() => process.exit(), 5000).unref();
  },
  async (error: unknown) => {
    await write(process.stderr, `dlq-replay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
