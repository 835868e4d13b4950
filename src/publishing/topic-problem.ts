import { TopicUnavailableError, type TopicProblem } from './event-publisher.js';

/**
 * The error for a topic that cannot take records, worded with what fixes it: the same words
 * answer the webhook (503), fill `/health/ready` and the log.
 */
export function topicUnavailable(topic: string, problem: TopicProblem, cause?: string): TopicUnavailableError {
  const why = cause === undefined ? '' : ` (${cause})`;
  const text =
    problem === 'topic_missing'
      ? `Topic ${topic} does not exist${why}: create it (a Strimzi KafkaTopic, or kafka-topics.sh --create), or set KAFKA_CREATE_TOPICS=true to let the relay create its topics`
      : `The relay may not write to topic ${topic}${why}: grant its Kafka user Describe and Write on the topic (deploy/kubernetes: KafkaUser)`;
  return new TopicUnavailableError(topic, problem, text);
}
