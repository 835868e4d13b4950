import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROTOBUF_CONTENT_TYPE } from '../src/envelope/envelope-format.js';
import { envelopeOf } from './support/envelopes.js';
import { loadFixtures, publishFixtures } from './support/fixtures.js';
import { post } from './support/http.js';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { TEST_BROKER } from './support/test-broker.mjs';

/** The built CLI, as `npm run consume` runs it (`npm test` builds before Jest starts). */
const CLI = fileURLToPath(new URL('../dist/cli/consume/main.js', import.meta.url));

const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** `node dist/cli/consume/main.js` as its own process, its output kept as it comes. */
class ConsumeRun {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: readonly string[], env: Record<string, string>, timeoutMs = 60_000) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', KAFKA_BROKERS: TEST_BROKER, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    // A run that never ends is killed, and the test sees a null exit code.
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    this.exited = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  /** Runs to the end and resolves with the exit code and everything printed. */
  static async complete(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const run = new ConsumeRun(args, env);
    const code = await run.exited;
    return { code, stdout: run.stdout, stderr: run.stderr };
  }

  /** Waits until stderr holds `text`: the CLI says `Reading …` once its partitions have their positions. */
  async waitForStderr(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stderr.includes(text)) {
      if (Date.now() > deadline) throw new Error(`no "${text}" on stderr after ${timeoutMs} ms:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

interface JsonLine {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: string | null;
  readonly headers: Record<string, string>;
  readonly kind: string;
  readonly envelope?: Record<string, unknown>;
}

function jsonLines(stdout: string): JsonLine[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonLine);
}

const byPosition = (a: { topic: string; partition: number; offset: string }, b: { topic: string; partition: number; offset: string }): number =>
  a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(a.offset) - Number(b.offset);

/** What the CLI must print of a record the test read directly with kafkajs. */
function expectedLine(record: ReadRecord): Omit<JsonLine, 'timestamp'> {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    headers: record.headers,
    kind: 'event',
    envelope: record.value,
  };
}

function withoutTimestamp({ timestamp: _timestamp, ...line }: JsonLine): Omit<JsonLine, 'timestamp'> {
  return line;
}

describe('npm run consume', () => {
  const topics = uniqueTopics('consume');
  let relay: RunningRelay;
  let reader: KafkaReader;
  let published: ReadRecord[];

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first (\`npm test\` builds before Jest)`);
    relay = await startRelay(topics);
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!]);
    published = await publishFixtures(relay.url, reader, { orders: topics.KAFKA_TOPIC_ORDERS!, incidences: topics.KAFKA_TOPIC_INCIDENCES! }, traceparent);
  });

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
  });

  it('--from-beginning --max 6 --json prints each record the relay published: topic, partition, offset, key, headers, envelope', async () => {
    const run = await ConsumeRun.complete(['--from-beginning', '--max', '6', '--json'], topics);

    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`Reading ${topics.KAFKA_TOPIC_ORDERS}, ${topics.KAFKA_TOPIC_INCIDENCES} (from the beginning; Ctrl-C stops)`);
    expect(run.stderr.trimEnd().endsWith('6 record(s)')).toBe(true);
    const lines = jsonLines(run.stdout);
    expect(lines.map(withoutTimestamp).sort(byPosition)).toEqual(published.map(expectedLine).sort(byPosition));
    expect(lines.every((line) => !Number.isNaN(Date.parse(line.timestamp)))).toBe(true);
    expect(lines.filter((line) => line.headers['traceparent'] === traceparent).length).toBeGreaterThan(0);
  });

  it('prints by default a readable block per record: where it sits, its key, the headers that add to it, the envelope pretty', async () => {
    const run = await ConsumeRun.complete(['--topic', 'orders', '--from-beginning', '--max', '3'], topics);

    expect(run.code).toBe(0);
    const blocks = run.stdout.split('\n\n').filter((block) => block !== '');
    expect(blocks).toHaveLength(3);
    for (const record of published.filter((candidate) => candidate.topic === topics.KAFKA_TOPIC_ORDERS)) {
      const head = `${record.topic}  partition ${record.partition}  offset ${record.offset}  key ${record.key}  `;
      const block = blocks.find((candidate) => candidate.startsWith(head));
      if (block === undefined) throw new Error(`no block starting "${head}" in:\n${run.stdout}`);
      const [first, ...rest] = block.split('\n');
      // The record's timestamp ends the first line; the ce_* headers repeat the envelope and are left out.
      expect(first).toMatch(/  \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const shown = Object.entries(record.headers).filter(([name]) => !name.startsWith('ce_'));
      expect(shown.map(([name]) => name)).toContain('content-type');
      expect(rest).toEqual([...shown.map(([name, value]) => `${name}: ${value}`), ...JSON.stringify(record.value, null, 2).split('\n')]);
    }
    expect(run.stdout).not.toContain(topics.KAFKA_TOPIC_INCIDENCES);
  });

  it('without --from-beginning prints only what is published after it started', async () => {
    const run = new ConsumeRun(['--max', '1', '--json'], topics);
    await run.waitForStderr('(new records only; Ctrl-C stops)');
    const body = JSON.stringify({ topic: 'order:status_update', order_id: 4242, new_status: 'confirmed', updated_at: '2025-06-01 10:00:00' });
    const reply = await post(`${relay.url}/webhooks/dropea/orders`, body);
    expect(reply.status).toBe(202);

    expect(await run.exited).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ topic: topics.KAFKA_TOPIC_ORDERS, key: '4242', kind: 'event', envelope: { id: reply.body['id'] } });
  });

  it('--group commits what it printed: the next run of the group goes on from there, nothing twice, nothing skipped', async () => {
    const group = `e2e-consume-${Date.now()}`;
    const args = ['--topic', 'incidences', '--group', group, '--from-beginning', '--json'];
    const first = await ConsumeRun.complete([...args, '--max', '1'], topics);
    const second = await ConsumeRun.complete([...args, '--max', '2'], topics);

    expect([first.code, second.code]).toEqual([0, 0]);
    const lines = [...jsonLines(first.stdout), ...jsonLines(second.stdout)];
    expect(lines).toHaveLength(3);
    const incidences = published.filter((record) => record.topic === topics.KAFKA_TOPIC_INCIDENCES);
    expect(lines.map(withoutTimestamp).sort(byPosition)).toEqual(incidences.map(expectedLine).sort(byPosition));
  });

  it('Ctrl-C leaves the group, disconnects and exits 0', async () => {
    const run = new ConsumeRun([], topics);
    await run.waitForStderr('Ctrl-C stops');
    const stoppedAt = Date.now();
    run.kill('SIGINT');

    expect(await run.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().endsWith('0 record(s)')).toBe(true);
  });

  it('shows a protobuf record (ENVELOPE_FORMAT=protobuf) as the same JSON envelope the relay writes in JSON', async () => {
    const protobufTopics = uniqueTopics('consume-protobuf');
    const protobufRelay = await startRelay({ ...protobufTopics, ENVELOPE_FORMAT: 'protobuf' });
    try {
      const fixture = loadFixtures().find((candidate) => candidate.file === 'order-error-to-pending.json')!;
      expect((await post(`${protobufRelay.url}${fixture.route}`, fixture.raw)).status).toBe(202);
      const run = await ConsumeRun.complete(['--topic', 'orders', '--from-beginning', '--max', '1', '--json'], protobufTopics);

      expect(run.code).toBe(0);
      const [line] = jsonLines(run.stdout);
      expect(line?.headers['content-type']).toBe(PROTOBUF_CONTENT_TYPE);
      const expected = envelopeOf(fixture.raw);
      const receivedAt = (line?.envelope?.['data'] as { received_at?: string } | undefined)?.received_at;
      expect(line).toMatchObject({ kind: 'event', key: '265496' });
      expect(line?.envelope).toEqual({ ...expected, data: { ...expected.data, received_at: receivedAt } });
    } finally {
      await protobufRelay.close();
    }
  });

  it('prints usage and exits 64 on a bad argument, 78 on a bad variable, 1 when a topic does not exist', async () => {
    const badArgument = await ConsumeRun.complete(['--max', '0'], topics);
    expect(badArgument.code).toBe(64);
    expect(badArgument.stderr).toContain('consume: --max must be a whole number of records, 1 or more, got "0"');
    expect(badArgument.stderr).toContain('Usage: npm run consume');

    const badVariable = await ConsumeRun.complete([], { ...topics, KAFKA_BROKERS: 'no-port' });
    expect(badVariable.code).toBe(78);
    expect(badVariable.stderr).toContain('KAFKA_BROKERS must be comma-separated host:port');

    const missing = await ConsumeRun.complete(['--topic', 'e2e.consume.no-such-topic'], topics);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('topic e2e.consume.no-such-topic does not exist');

    const help = await ConsumeRun.complete(['--help'], topics);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run consume');
  });
});
