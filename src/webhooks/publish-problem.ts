import { PROBLEM_TYPES } from '../problem/problem-details.js';
import { ProblemException } from '../problem/problem.exception.js';
import { PublishError, RecordRefusedError, TopicUnavailableError } from '../publishing/event-publisher.js';

/** Seconds a sender is asked to wait after a 503 before it retries. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The answer to a webhook whose record the publisher could not get acknowledged, naming why and
 * what fixes it (RFC 9457 problem details); undefined for any other error.
 * - Kafka did not acknowledge in time: 503 `kafka-unavailable`; the sender retries.
 * - Its topic is missing or not writable: 503 `topic-missing` / `topic-not-authorized`, at once.
 * - Kafka refuses the record for good: 413 `record-too-large` / 422 `record-invalid`; the
 *   webhook is kept on the dead-letter topic, which the detail names.
 */
export function publishProblem(error: unknown): ProblemException | undefined {
  if (error instanceof PublishError) {
    return ProblemException.of(PROBLEM_TYPES.kafkaUnavailable, `${error.message}; the webhook was not accepted, retry later`, {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
  if (error instanceof TopicUnavailableError) {
    const type = error.problem === 'topic_missing' ? PROBLEM_TYPES.topicMissing : PROBLEM_TYPES.topicNotAuthorized;
    return ProblemException.of(type, `${error.message}. The webhook was not accepted, retry later`, { retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
  if (error instanceof RecordRefusedError) {
    const type = error.reason === 'record_too_large' ? PROBLEM_TYPES.recordTooLarge : PROBLEM_TYPES.recordInvalid;
    const kept =
      error.keptOn === undefined
        ? 'The webhook could not be kept on the dead-letter topic either'
        : `The webhook is kept on ${error.keptOn}: once the topic accepts it, \`npm run dlq:replay -- --apply\` publishes it`;
    return ProblemException.of(type, `${error.message}. ${kept}`);
  }
  return undefined;
}
