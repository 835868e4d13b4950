import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { JSON_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE } from '../src/envelope/envelope-format.js';
import { buildGoConsumer, buildJavaConsumer, GO_EXAMPLE, parseLines, type BuiltConsumer } from './support/example-consumers.js';
import { EXPECTED, loadFixtures, type Fixture } from './support/fixtures.js';
import { post, sign } from './support/http.js';
import { withAdmin } from './support/kafka-admin.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { runProcess } from './support/run-process.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { TEST_BROKER } from './support/test-broker.mjs';

/** The project's own pinned buf (package.json), which generates the Go offline. */
const BUF = new URL('../node_modules/.bin/buf', import.meta.url).pathname;
const KEY = 'consumers-e2e-api-key';
/** Maven's and Go's first build on a machine without their caches fetches everything; later ones take seconds. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

type Format = 'json' | 'protobuf';
const FORMATS: readonly Format[] = ['json', 'protobuf'];
const CONSUMERS = ['java', 'go'] as const;

/** One order and one incidence, as Dropea documents them. */
const FIXTURES: readonly Fixture[] = loadFixtures().filter((fixture) =>
  ['order-confirmed-to-cancelled.json', 'incidence-solution-sent-to-resolved.json'].includes(fixture.file),
);

/** The line a consumer prints for a record, from the record as kafkajs read it. */
function expectedLine(record: ReadRecord, format: Format): Record<string, string> {
  const event = record.value as { id: string; data: { entity: string; entity_id: number; status: string } };
  return {
    topic: record.topic,
    partition: String(record.partition),
    offset: record.offset,
    key: record.key,
    ce_type: record.headers['ce_type']!,
    id: event.id,
    entity: event.data.entity,
    entity_id: String(event.data.entity_id),
    status: event.data.status,
    format,
  };
}

const byTopic = (a: Record<string, string>, b: Record<string, string>): number => a['topic']!.localeCompare(b['topic']!);

/** Files under a directory, by path relative to it, with their text. */
function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

describe('examples/java and examples/go: consumers downstream teams copy, against the relay and the real broker', () => {
  const topics = { json: uniqueTopics('consumers-json'), protobuf: uniqueTopics('consumers-protobuf') };
  const scratch = mkdtempSync(join(tmpdir(), 'dropea-relay-consumers-'));
  const consumers = new Map<string, BuiltConsumer>();
  const relays: RunningRelay[] = [];
  const published = new Map<Format, ReadRecord[]>();
  let reader: KafkaReader | undefined;

  const envOf = (format: Format): Record<string, string> => ({
    KAFKA_BROKERS: TEST_BROKER,
    KAFKA_TOPIC_ORDERS: topics[format].KAFKA_TOPIC_ORDERS,
    KAFKA_TOPIC_INCIDENCES: topics[format].KAFKA_TOPIC_INCIDENCES,
  });
  const consumer = (name: string): BuiltConsumer => consumers.get(name)!;
  const run = (name: string, format: Format, args: readonly string[]) =>
    runProcess(consumer(name).command, [...consumer(name).args, ...args], envOf(format));

  /** The group's committed offsets, as `topic/partition` → offset, for the partitions it committed. */
  const committed = (group: string, format: Format): Promise<Record<string, string>> =>
    withAdmin(async (admin) => {
      const offsets = await admin.fetchOffsets({ groupId: group, topics: [topics[format].KAFKA_TOPIC_ORDERS, topics[format].KAFKA_TOPIC_INCIDENCES] });
      return Object.fromEntries(
        offsets.flatMap(({ topic, partitions }) =>
          partitions.filter(({ offset }) => offset !== '-1').map(({ partition, offset }) => [`${topic}/${partition}`, offset]),
        ),
      );
    });
  /** What a group that handled every published record of a format has committed: the next offset. */
  const everything = (format: Format): Record<string, string> =>
    Object.fromEntries(published.get(format)!.map((record) => [`${record.topic}/${record.partition}`, String(Number(record.offset) + 1)]));

  beforeAll(async () => {
    // Built as their READMEs say, one after the other (two cores); a machine without Maven,
    // Java 17 or Go fails here, naming what is missing.
    const java = await buildJavaConsumer(BUILD_TIMEOUT_MS);
    const go = await buildGoConsumer(join(scratch, 'consumer'), BUILD_TIMEOUT_MS);
    consumers.set('java', java).set('go', go);
    process.stdout.write(`consumer builds: java ${(java.buildMs / 1000).toFixed(1)} s, go ${(go.buildMs / 1000).toFixed(1)} s\n`);

    // One relay per format, signatures required, as in production.
    for (const format of FORMATS) relays.push(await startRelay({ ...topics[format], DROPEA_API_KEYS: KEY, ENVELOPE_FORMAT: format }));
    reader = await KafkaReader.start(FORMATS.flatMap((format) => [topics[format].KAFKA_TOPIC_ORDERS, topics[format].KAFKA_TOPIC_INCIDENCES]));
    for (const [index, format] of FORMATS.entries()) {
      const records: ReadRecord[] = [];
      for (const fixture of FIXTURES) {
        const reply = await post(`${relays[index]!.url}${fixture.route}`, fixture.raw, { headers: { 'x-dropea-hmac-sha256': sign(fixture.raw, KEY) } });
        expect({ file: fixture.file, status: reply.status }).toEqual({ file: fixture.file, status: 202 });
        const topic = fixture.route.endsWith('orders') ? topics[format].KAFKA_TOPIC_ORDERS : topics[format].KAFKA_TOPIC_INCIDENCES;
        const [record] = await reader.waitFor(topic, 1);
        // What was posted is what Kafka holds: the consumers' lines are checked against both.
        expect({
          key: record!.key,
          id: (record!.value as { id: string }).id,
          type: record!.headers['ce_type'],
          status: (record!.value as { data: { status: string } }).data.status,
          contentType: record!.headers['content-type'],
        }).toEqual({
          key: String(fixture.entityId),
          id: reply.body['id'],
          type: EXPECTED[fixture.file]!.type,
          status: EXPECTED[fixture.file]!.status,
          contentType: format === 'json' ? JSON_CONTENT_TYPE : PROTOBUF_CONTENT_TYPE,
        });
        records.push(record!);
      }
      published.set(format, records);
    }
  }, BUILD_TIMEOUT_MS * 2 + 120_000);

  afterAll(async () => {
    await reader?.stop();
    for (const relay of relays) await relay.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe.each(CONSUMERS)('the %s consumer', (name) => {
    it.each(FORMATS)('decodes the %s envelope by its content-type and prints key, partition, offset, ce_type, id, entity id and status', async (format) => {
      const result = await run(name, format, ['--group', `e2e-consumers-${name}-${format}-${Date.now()}`, '--from-beginning', '--max', '2']);

      expect({ code: result.code, summary: result.stderr.trimEnd().split('\n').at(-1) }).toEqual({ code: 0, summary: '2 record(s)' });
      const expected = published.get(format)!.map((record) => expectedLine(record, format));
      expect(parseLines(result.stdout).sort(byTopic)).toEqual(expected.sort(byTopic));
    });

    it('commits only what it handled: the next run of its group goes on from there', async () => {
      const group = `e2e-consumers-${name}-commit-${Date.now()}`;
      const first = await run(name, 'json', ['--group', group, '--from-beginning', '--max', '1']);
      const afterFirst = await committed(group, 'json');
      const second = await run(name, 'json', ['--group', group, '--from-beginning', '--max', '1']);

      expect([first.code, second.code]).toEqual([0, 0]);
      const [one, two] = [parseLines(first.stdout), parseLines(second.stdout)];
      expect([one.length, two.length]).toEqual([1, 1]);
      // One record committed after the first run (its own), both after the second.
      expect(afterFirst).toEqual({ [`${one[0]!['topic']}/${one[0]!['partition']}`]: String(Number(one[0]!['offset']) + 1) });
      expect([...one, ...two].sort(byTopic)).toEqual(published.get('json')!.map((record) => expectedLine(record, 'json')).sort(byTopic));
      expect(await committed(group, 'json')).toEqual(everything('json'));
    });

    it('stops on SIGTERM: commits what it handled, leaves the group and exits', async () => {
      const group = `e2e-consumers-${name}-sigterm-${Date.now()}`;
      const { command, args } = consumer(name);
      const result = await runProcess(command, [...args, '--group', group, '--from-beginning'], envOf('protobuf'), 60_000, { lines: 2, signal: 'SIGTERM' });

      // A Go program that handles the signal exits 0; the JVM reports it as 128 + 15 once its
      // shutdown hook (which waits for the commit and close) returns.
      expect({ code: result.code, signal: result.signal }).toEqual({ code: name === 'java' ? 143 : 0, signal: null });
      expect(result.stderr.trimEnd().split('\n').at(-1)).toBe('2 record(s)');
      expect(parseLines(result.stdout).sort(byTopic)).toEqual(published.get('protobuf')!.map((record) => expectedLine(record, 'protobuf')).sort(byTopic));
      expect(await committed(group, 'protobuf')).toEqual(everything('protobuf'));
      // Left, not just gone: no member holds the group's partitions until a session times out.
      expect(await withAdmin(async (admin) => (await admin.describeGroups([group])).groups[0]!.state)).toBe('Empty');
    });
  });

  it('prints the same lines from Java and from Go', async () => {
    const [java, go] = await Promise.all(
      CONSUMERS.map((name) => run(name, 'protobuf', ['--group', `e2e-consumers-same-${name}-${Date.now()}`, '--from-beginning', '--max', '2'])),
    );
    expect(parseLines(java!.stdout).sort(byTopic)).toEqual(parseLines(go!.stdout).sort(byTopic));
    expect(parseLines(go!.stdout)).toHaveLength(2);
  });

  it('examples/go: gen/ is what buf generates from proto/, and its own tests pass', async () => {
    const output = join(scratch, 'generated');
    await promisify(execFile)(BUF, ['generate', '--output', output], { cwd: GO_EXAMPLE, env: process.env, timeout: 300_000 });
    const generated = filesUnder(join(output, 'gen'));
    expect([...generated.keys()]).toEqual(['dropea/relay/v1/envelope.pb.go']);
    expect(filesUnder(join(GO_EXAMPLE, 'gen'))).toEqual(generated);

    const { stdout } = await promisify(execFile)('go', ['test', './...'], { cwd: GO_EXAMPLE, env: process.env, timeout: 300_000 });
    expect(stdout).toMatch(/^ok\s+dropea-relay\/examples\/go\s/m);
    await promisify(execFile)('go', ['vet', './...'], { cwd: GO_EXAMPLE, env: process.env, timeout: 300_000 });
  }, 600_000);
});
