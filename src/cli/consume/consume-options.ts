import { parseArgs } from 'node:util';
import type { KafkaTopics } from '../../config/kafka.config.js';

/** What `npm run consume` was asked to do. */
export interface ConsumeOptions {
  /** Aliases (`orders`, `incidences`, `dlq`) or topic names, as given; empty: the normalised topics. */
  readonly topics: readonly string[];
  /** Start at the earliest offset rather than at the end (only where the group has no committed offset). */
  readonly fromBeginning: boolean;
  /** A consumer group to join and commit to; undefined: a throwaway group that commits nothing. */
  readonly group: string | undefined;
  /** Exit once this many records were printed; undefined: until Ctrl-C. */
  readonly max: number | undefined;
  /** One JSON object per line instead of the readable form. */
  readonly json: boolean;
  readonly help: boolean;
}

/** A command line the CLI cannot run (exit 64, EX_USAGE). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseConsumeOptions(args: readonly string[]): ConsumeOptions {
  let values: { topic?: string[]; 'from-beginning'?: boolean; group?: string; max?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...args],
      options: {
        topic: { type: 'string', short: 't', multiple: true },
        'from-beginning': { type: 'boolean' },
        group: { type: 'string', short: 'g' },
        max: { type: 'string', short: 'n' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const group = values.group?.trim();
  if (group === '') throw new UsageError('--group must not be empty');
  return {
    topics: (values.topic ?? []).flatMap((value) => value.split(',')).map((topic) => topic.trim()).filter((topic) => topic !== ''),
    fromBeginning: values['from-beginning'] === true,
    group,
    max: values.max === undefined ? undefined : count(values.max),
    json: values.json === true,
    help: values.help === true,
  };
}

function count(value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1 || !Number.isSafeInteger(number)) {
    throw new UsageError(`--max must be a whole number of records, 1 or more, got "${value}"`);
  }
  return number;
}

/** The names `--topic` accepts for the relay's own topics, whatever KAFKA_TOPIC_* calls them. */
const ALIASES: ReadonlyMap<string, keyof KafkaTopics> = new Map([
  ['orders', 'orders'],
  ['incidences', 'incidences'],
  ['dlq', 'deadLetter'],
]);

// Kafka's own rule for a topic name (Topic.validate): [a-zA-Z0-9._-], at most 249 characters.
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * The topics to read: by default the two normalised topics, the ones a downstream consumer
 * reads; an alias stands for the topic the relay's configuration names.
 */
export function resolveTopics(requested: readonly string[], topics: KafkaTopics): string[] {
  if (requested.length === 0) return [topics.orders, topics.incidences];
  const names = requested.map((topic) => {
    const alias = ALIASES.get(topic);
    if (alias !== undefined) return topics[alias];
    if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
      throw new UsageError(`--topic takes orders, incidences, dlq or a Kafka topic name, got "${topic}"`);
    }
    return topic;
  });
  return [...new Set(names)];
}
