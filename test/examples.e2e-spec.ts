import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PROTOBUF_CONTENT_TYPE } from '../src/envelope/envelope-format.js';
import { loadFixtures, publishFixtures } from './support/fixtures.js';
import { post } from './support/http.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { runProcess } from './support/run-process.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { TEST_BROKER } from './support/test-broker.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PYTHON_EXAMPLE = `${ROOT}examples/python/consume.py`;
const PYTHON_EXAMPLE_DIR = `${ROOT}examples/python`;
const REQUIREMENTS = `${ROOT}examples/python/requirements.txt`;
/** The project's own pinned buf (package.json), which builds the schema offline. */
const BUF = `${ROOT}node_modules/.bin/buf`;

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';



/** What the Python consumer prints per event with --json. */
interface PythonLine {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly id: string;
  readonly type: string;
  readonly subject: string;
  readonly time: string;
  readonly entity: string;
  readonly entity_id: number;
  readonly previous_status: string | null;
  readonly status: string;
  readonly traceparent: string | null;
}

function pythonLines(stdout: string): PythonLine[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as PythonLine);
}

/** The same fields, from the record as kafkajs read it. */
function expectedLine(record: ReadRecord): PythonLine {
  const event = record.value as { id: string; type: string; subject: string; time: string; data: Record<string, unknown> };
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    key: record.key,
    id: event.id,
    type: event.type,
    subject: event.subject,
    time: event.time,
    entity: event.data['entity'] as string,
    entity_id: event.data['entity_id'] as number,
    previous_status: event.data['previous_status'] as string | null,
    status: event.data['status'] as string,
    traceparent: record.headers['traceparent'] ?? null,
  };
}

const byPosition = (a: PythonLine, b: PythonLine): number => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset;

describe('examples/python: a consumer in another language (confluent-kafka, librdkafka)', () => {
  const topics = uniqueTopics('examples');
  const env = { KAFKA_BROKERS: TEST_BROKER, KAFKA_TOPIC_ORDERS: topics.KAFKA_TOPIC_ORDERS!, KAFKA_TOPIC_INCIDENCES: topics.KAFKA_TOPIC_INCIDENCES! };
  let python: string;
  let relay: RunningRelay;
  let reader: KafkaReader;
  let published: ReadRecord[];

  beforeAll(async () => {
    // The pinned environment, created from PyPI on first use and cached; a machine without
    // Python fails here, naming what is missing, rather than skipping the example.
    try {
      const { stdout } = await promisify(execFile)('bash', [`${ROOT}scripts/python/venv.sh`, REQUIREMENTS], { env: process.env });
      python = `${stdout.trim()}/bin/python`;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`examples/python needs Python 3 with pip (scripts/python/venv.sh ${REQUIREMENTS} failed):\n${stderr || String(error)}`);
    }

    relay = await startRelay(topics);
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!]);
    published = await publishFixtures(relay.url, reader, { orders: topics.KAFKA_TOPIC_ORDERS!, incidences: topics.KAFKA_TOPIC_INCIDENCES! }, traceparent);
  }, 600_000);

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  it('decodes every record the relay published: the key, partition and offset kafkajs sees, and the envelope fields', async () => {
    const result = await runProcess(python, [PYTHON_EXAMPLE, '--from-beginning', '--max', '6', '--json'], env);

    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '6 record(s)\n' });
    const lines = pythonLines(result.stdout);
    expect(lines.sort(byPosition)).toEqual(published.map(expectedLine).sort(byPosition));
    expect(lines.some((line) => line.traceparent === traceparent)).toBe(true);
  });

  it('with --group, commits only what it handled: the next run goes on from there', async () => {
    const group = `e2e-examples-${Date.now()}`;
    const first = await runProcess(python, [PYTHON_EXAMPLE, '--group', group, '--from-beginning', '--max', '4', '--json'], env);
    const second = await runProcess(python, [PYTHON_EXAMPLE, '--group', group, '--from-beginning', '--max', '2', '--json'], env);

    expect([first.code, second.code]).toEqual([0, 0]);
    const lines = [...pythonLines(first.stdout), ...pythonLines(second.stdout)];
    expect(lines.sort(byPosition)).toEqual(published.map(expectedLine).sort(byPosition));
  });

  it('reads its settings, the TLS CA file and SASL options included, as its unit tests say (python -m unittest)', async () => {
    const result = await runProcess(python, ['-m', 'unittest', 'discover', '-s', PYTHON_EXAMPLE_DIR], { PYTHONDONTWRITEBYTECODE: '1' });

    expect({ code: result.code, end: result.stderr.split('\n').slice(-2) }).toEqual({ code: 0, end: ['OK', ''] });
    expect(Number(/^Ran (\d+) tests/m.exec(result.stderr)?.[1])).toBeGreaterThanOrEqual(7);
  });

  it('decodes protobuf records (ENVELOPE_FORMAT=protobuf) with the schema as a descriptor set from proto/', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'dropea-relay-examples-'));
    const protobufTopics = uniqueTopics('examples-protobuf');
    const protobufRelay = await startRelay({ ...protobufTopics, ENVELOPE_FORMAT: 'protobuf' });
    const protobufReader = await KafkaReader.start([protobufTopics.KAFKA_TOPIC_ORDERS!, protobufTopics.KAFKA_TOPIC_INCIDENCES!]);
    try {
      const descriptorSet = join(scratch, 'envelope.binpb');
      await promisify(execFile)(BUF, ['build', `${ROOT}proto`, '--as-file-descriptor-set', '-o', descriptorSet]);
      for (const fixture of loadFixtures().filter((candidate) => candidate.file.startsWith('incidence-'))) {
        expect((await post(`${protobufRelay.url}${fixture.route}`, fixture.raw)).status).toBeLessThan(300);
      }
      const records = await protobufReader.waitFor(protobufTopics.KAFKA_TOPIC_INCIDENCES!, 3);
      expect(records.map((record) => record.headers['content-type'])).toEqual([PROTOBUF_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE]);

      const protobufEnv = { ...env, KAFKA_TOPIC_ORDERS: protobufTopics.KAFKA_TOPIC_ORDERS!, KAFKA_TOPIC_INCIDENCES: protobufTopics.KAFKA_TOPIC_INCIDENCES! };
      const result = await runProcess(python, [PYTHON_EXAMPLE, '--from-beginning', '--max', '3', '--json', '--descriptor-set', descriptorSet], protobufEnv);

      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '3 record(s)\n' });
      expect(pythonLines(result.stdout).sort(byPosition)).toEqual(records.map(expectedLine).sort(byPosition));
    } finally {
      await protobufReader.stop();
      await protobufRelay.close();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
