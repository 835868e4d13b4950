import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaReader, type ReadRecord } from './support/kafka-reader.js';
import { startRelay, uniqueTopics, type RunningRelay } from './support/relay-app.js';
import { runProcess, type Run } from './support/run-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_SH = `${ROOT}scripts/schemathesis/run.sh`;
const KEY = 'schemathesis-e2e-key';
/**
 * scripts/schemathesis/run.sh fuzzes for 30-60 s on two cores; on a machine that has not built
 * its pinned environment yet it installs Schemathesis from PyPI first.
 */
const RUN_TIMEOUT_MS = 480_000;

/** The part of a HAR 1.2 entry (the `--report har` file) this suite reads. */
interface HarEntry {
  readonly request: { readonly method: string; readonly url: string };
  readonly response: { readonly status: number; readonly content: { readonly text?: string } };
}

interface Answer {
  readonly route: string;
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
}

function answersOf(harFile: string): Answer[] {
  const har = JSON.parse(readFileSync(harFile, 'utf8')) as { log: { entries: HarEntry[] } };
  return har.log.entries.map(({ request, response }) => {
    let body: Record<string, unknown> | undefined;
    try {
      body = JSON.parse(response.content.text ?? '') as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    return { route: new URL(request.url).pathname, status: response.status, body };
  });
}

/** The environment the script runs in: this one (pip's settings, HOME for the cache), with its own key. */
function scriptEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // A developer's own Schemathesis or Hypothesis settings would change what CI runs.
    if (value !== undefined && !/^(SCHEMATHESIS|HYPOTHESIS)_/.test(name)) env[name] = value;
  }
  return { ...env, DROPEA_FUZZ_KEY: KEY };
}

/** What Schemathesis printed, from its first failure on (or its end), short enough for a test report. */
function excerpt(run: Run): string {
  const output = `${run.stdout}\n${run.stderr}`;
  const failures = output.indexOf('FAILURES');
  return failures >= 0 ? output.slice(failures, failures + 12_000) : output.slice(-4_000);
}

describe('Schemathesis: the relay fuzzed from its own OpenAPI document', () => {
  const topics = uniqueTopics('schemathesis');
  let scratch: string | undefined;
  let relay: RunningRelay;
  let reader: KafkaReader;
  let run: Run;
  let answers: Answer[];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'dropea-relay-schemathesis-e2e-'));
    const harFile = join(scratch, 'requests.har');
    relay = await startRelay({ ...topics, DROPEA_SIGNATURE_MODE: 'required', DROPEA_API_KEYS: KEY });
    reader = await KafkaReader.start([topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!, topics.KAFKA_TOPIC_DLQ!]);
    // Every request and answer, as a HAR file, so the suite can hold Kafka to what was answered.
    run = await runProcess('bash', [RUN_SH, relay.url, '--report', 'har', '--report-har-path', harFile], scriptEnv(), RUN_TIMEOUT_MS);
    // Written on failure too, so the checks below still say what the relay answered.
    answers = existsSync(harFile) ? answersOf(harFile) : [];
  }, RUN_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await reader?.stop();
    await relay?.close();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('finds no server error, no undocumented status and no answer outside its documented schema', () => {
    expect({ code: run.code, output: run.code === 0 ? '' : excerpt(run) }).toEqual({ code: 0, output: '' });
    const tally = /^\s*(\d+) generated, (\d+) passed$/m.exec(run.stdout);
    expect(tally).not.toBeNull();
    expect(tally![2]).toBe(tally![1]);
    expect(run.stdout).toMatch(/=+ No issues found in [\d.]+s =+/);
  });

  it('signs the generated bodies: they reach validation, publishing and the dead-letter topic, and some are refused unsigned', () => {
    const statuses = new Set(answers.map((answer) => answer.status));
    expect(answers.length).toBeGreaterThan(1000);
    expect([...statuses].filter((status) => status >= 500)).toEqual([]);
    for (const status of [200, 202, 400, 401, 415, 422]) expect(statuses).toContain(status);
    const outcomes = new Set(answers.map((answer) => answer.body?.['status']));
    for (const outcome of ['published', 'duplicate', 'dead_lettered']) expect(outcomes).toContain(outcome);
  });

  it('published every event it answered 202 for, each record a valid envelope', async () => {
    const published = answers.filter((answer) => answer.status === 202 && answer.body?.['status'] === 'published');
    const expected = (topic: string): string[] =>
      published
        .filter((answer) => answer.body!['topic'] === topic)
        .map((answer) => answer.body!['id'] as string)
        .sort();
    const read = (records: ReadRecord[]): string[] => records.map((record) => record.headers['ce_id']!).sort();

    for (const topic of [topics.KAFKA_TOPIC_ORDERS!, topics.KAFKA_TOPIC_INCIDENCES!]) {
      const ids = expected(topic);
      expect(ids.length).toBeGreaterThan(0);
      // waitFor throws as soon as a record read breaks the envelope contract (KafkaReader).
      const records = await reader.waitFor(topic, ids.length, 60_000);
      expect(read(records)).toEqual(ids);
    }
    // A dead letter is kept once per body and route, so there are at most as many as answers that made one.
    const deadLettered = answers.filter((answer) => answer.status === 422 || answer.body?.['status'] === 'dead_lettered').length;
    const deadLetters = await reader.waitFor(topics.KAFKA_TOPIC_DLQ!, 1, 60_000);
    expect(deadLetters.length).toBeLessThanOrEqual(deadLettered);
  });
});
