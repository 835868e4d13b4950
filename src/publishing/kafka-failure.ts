import type { RecordRefusal, TopicProblem } from './event-publisher.js';

/**
 * What a failed produce request means for its records. Kafka answers each partition of a
 * produce request with its own error code (https://kafka.apache.org/protocol#The_Messages_Produce);
 * kafkajs turns the first one into the whole request's error, so the code is read back from it
 * (it may sit under `cause`, wrapped by kafkajs's retrier) and sorted into:
 *
 * - `record`: the broker refuses this record for good, whoever sends it again (too large for
 *   the topic, invalid). Only that record fails; the sender may fix it.
 * - `topic`: the topic cannot take any record now (it does not exist, or this client may not
 *   write to it). Its operator can fix that; the record itself is fine.
 * - `transient`: anything else (the broker is away, a leader moves, a timeout): trying again
 *   later may succeed.
 */
export type KafkaFailure =
  | { readonly kind: 'record'; readonly reason: RecordRefusal; readonly code: string; readonly message: string }
  | { readonly kind: 'topic'; readonly reason: TopicProblem; readonly code: string; readonly message: string }
  | { readonly kind: 'transient'; readonly message: string };

const RECORD_ERRORS: Readonly<Record<string, RecordRefusal>> = {
  MESSAGE_TOO_LARGE: 'record_too_large',
  RECORD_LIST_TOO_LARGE: 'record_too_large',
  INVALID_RECORD: 'record_invalid',
  CORRUPT_MESSAGE: 'record_invalid',
  INVALID_TIMESTAMP: 'record_invalid',
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 'record_invalid',
};

const TOPIC_ERRORS: Readonly<Record<string, TopicProblem>> = {
  UNKNOWN_TOPIC_OR_PARTITION: 'topic_missing',
  INVALID_TOPIC_EXCEPTION: 'topic_missing',
  TOPIC_AUTHORIZATION_FAILED: 'topic_not_authorized',
};

export function classifyKafkaError(error: unknown): KafkaFailure {
  const message = messageOf(error);
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    const code = (cause as { type?: unknown }).type;
    if (typeof code !== 'string') continue;
    const refusal = RECORD_ERRORS[code];
    if (refusal) return { kind: 'record', reason: refusal, code, message };
    const problem = TOPIC_ERRORS[code];
    if (problem) return { kind: 'topic', reason: problem, code, message };
  }
  return { kind: 'transient', message };
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error && error.cause.message !== error.message ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
