// Kafka's own producer ceiling on this machine: org.apache.kafka.tools.ProducerPerformance
// (kafka-producer-perf-test) from the broker's cached jars, with the relay's producer guarantees
// (acks=all, idempotence) and records the size of a relay envelope. It sends as fast as it can
// (--throughput -1), so its latencies include queueing in the producer's buffer: they are not
// comparable to the relay's per-request latency, only its records/s is.
import { runChecked } from './processes.mjs';

// Kafka 4.3 prints, at the end (the second line only with --warmup-records):
// 300000 records sent, 94280.326838 records/sec (53.95 MB/sec), 387.64 ms avg latency, 666.00 ms max latency, 384 ms 50th, 613 ms 95th, 650 ms 99th, 662 ms 99.9th.
// 250000 steady state records sent, 104471.374843 records/sec (59.78 MB/sec), 417.70 ms avg latency, ...
// Progress lines every 5 s have no percentiles, so they do not match.
const TOOL = 'org.apache.kafka.tools.ProducerPerformance';

const SUMMARY =
  /^(\d+) (steady state )?records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.?$/;

export function parseSummaries(output) {
  const summaries = {};
  for (const line of output.split('\n')) {
    const match = SUMMARY.exec(line.trim());
    if (!match) continue;
    summaries[match[2] ? 'steadyState' : 'total'] = {
      line: line.trim(),
      records: Number(match[1]),
      recordsPerSec: Number(match[3]),
      mbPerSec: Number(match[4]),
      avgLatencyMs: Number(match[5]),
      maxLatencyMs: Number(match[6]),
      p50Ms: Number(match[7]),
      p95Ms: Number(match[8]),
      p99Ms: Number(match[9]),
      p999Ms: Number(match[10]),
    };
  }
  return summaries;
}

/**
 * @param {import('./kafka-broker.mjs').KafkaBroker} broker
 */
export async function measureProducerCeiling(broker, { topic, partitions, records, warmupRecords, recordSize, signal }) {
  const settings = await broker.loadSettings();
  await broker.createTopic(topic, partitions, { signal });
  const args = [
    '-Xmx512m',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${settings.toolsLog4j}`,
    '-cp',
    `${settings.libsDir}/*`,
    TOOL,
    '--bootstrap-server',
    broker.bootstrap,
    '--topic',
    topic,
    '--num-records',
    String(records),
    ...(warmupRecords > 0 ? ['--warmup-records', String(warmupRecords)] : []),
    '--record-size',
    String(recordSize),
    '--throughput',
    '-1',
    '--command-property',
    'acks=all',
    'enable.idempotence=true',
  ];
  const started = performance.now();
  const { stdout, stderr } = await runChecked(settings.java, args, { env: broker.env, timeoutMs: 300_000, signal });
  const seconds = (performance.now() - started) / 1000;
  const summaries = parseSummaries(stdout);
  if (!summaries.total) throw new Error(`ProducerPerformance printed no summary line:\n${stdout}\n${stderr}`);
  return {
    command: ['java', '-cp', '"$KAFKA_LIBS_DIR/*"', ...args.slice(args.indexOf(TOOL))].join(' '),
    topic,
    partitions,
    records,
    warmupRecords,
    recordSize,
    wallSeconds: Math.round(seconds * 10) / 10,
    ...summaries,
  };
}
