import { Kafka, logLevel, type Admin, type ConfigResourceTypes, type ITopicConfig } from 'kafkajs';
import { TEST_BROKER } from './test-broker.mjs';

/** ConfigResourceTypes.TOPIC (kafkajs's enum is not an ES-module export). */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** The test broker's admin client for the length of `use`: what an operator (or Strimzi) does to topics. */
export async function withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'e2e-operator', brokers: [TEST_BROKER], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates topics as their operator would, 6 partitions each unless said otherwise, and returns
 * once the broker serves their metadata (a new topic reaches the broker's metadata a moment after
 * CreateTopics returns; kafkajs's `waitForLeaders` does not wait for that).
 */
export function createTopics(topics: readonly (Omit<ITopicConfig, 'numPartitions'> & { numPartitions?: number })[]): Promise<void> {
  return withAdmin(async (admin) => {
    await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ numPartitions: 6, ...topic })) });
    for (const deadline = Date.now() + 10_000; ; ) {
      try {
        await admin.fetchTopicMetadata({ topics: topics.map(({ topic }) => topic) });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  });
}

/** Which of `names` exist on the broker now. */
export function existingTopics(names: readonly string[]): Promise<string[]> {
  return withAdmin(async (admin) => {
    const all = new Set(await admin.listTopics());
    return names.filter((name) => all.has(name));
  });
}

/** Sets a topic's configuration entries (AlterConfigs), as `kafka-configs.sh --alter` would. */
export function alterTopic(topic: string, entries: Record<string, string>): Promise<void> {
  return withAdmin(async (admin) => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: TOPIC_RESOURCE, name: topic, configEntries: Object.entries(entries).map(([name, value]) => ({ name, value })) }],
    });
  });
}
