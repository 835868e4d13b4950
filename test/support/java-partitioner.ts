import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const envScript = fileURLToPath(new URL('../../scripts/kafka/env.sh', import.meta.url));

/**
 * The partition Kafka's Java client assigns each key, computed by Kafka's own
 * `Utils.murmur2` from the broker jars the tests already run (JavaPartition.java).
 */
export async function javaPartitions(partitions: number, keys: readonly string[]): Promise<Map<string, number>> {
  const { stdout: libs } = await run('bash', ['-c', `source "${envScript}" && printf %s "$KAFKA_LIBS_DIR"`]);
  const { stdout } = await run('java', ['-cp', `${libs}/*`, `${here}JavaPartition.java`, String(partitions), ...keys]);
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' '))
      .map(([key, partition]) => [key ?? '', Number(partition)]),
  );
}
