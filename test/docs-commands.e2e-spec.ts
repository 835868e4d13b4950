import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { post, sign } from './support/http.js';
import { portOpen } from './support/local-ports.js';
import { uniqueTopics } from './support/relay-app.js';
import { RelayProcess } from './support/relay-process.js';
import { TEST_BROKER } from './support/test-broker.mjs';

/**
 * Every shell block the docs tell a user to paste is run here, as written, or says why not. A
 * block is preceded by one of:
 *
 *   <!-- doc-test: run <name> -->            run by the test of that name below, as written
 *   <!-- doc-test: run by <path>[, <path>] --> run, as written or in substance, by those files
 *   <!-- doc-test: not run: <reason> -->     needs what a test machine has not (Docker, a cluster)
 *
 * so that editing a command so that it breaks fails `npm test`, and a new block cannot slip in
 * untested. The commands address the relay at http://localhost:3000 and Kafka through the
 * relay's own variables, exactly as a user's terminal would; the test starts the relay on port
 * 3000 (which must be free) against the test broker, with topics of its own.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', '.kafka', 'results', 'coverage']);
const SHELL_FENCE = /^```(?:sh|bash|shell|console)\s*$/;
const ANNOTATION = /^<!-- doc-test: (.+) -->$/;
const README_PORT = 3000;
const API_KEY = 'my-api-key';

interface Block {
  readonly file: string;
  readonly line: number;
  readonly annotation: string | undefined;
  readonly code: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : markdownFiles(join(dir, entry.name));
    return entry.name.endsWith('.md') ? [join(dir, entry.name)] : [];
  });
}

function shellBlocks(path: string): Block[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!SHELL_FENCE.test(lines[i]!)) continue;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${relative(ROOT, path)}:${i + 1}: unclosed code block`);
    blocks.push({
      file: relative(ROOT, path),
      line: i + 1,
      annotation: before >= 0 ? ANNOTATION.exec(lines[before]!.trim())?.[1] : undefined,
      code: lines.slice(i + 1, end).join('\n'),
    });
    i = end;
  }
  return blocks;
}

const BLOCKS = markdownFiles(ROOT).flatMap(shellBlocks);

/** The block a runner runs; the docs must hold exactly one block naming it. */
function block(name: string): string {
  const found = BLOCKS.filter((candidate) => candidate.annotation === `run ${name}`);
  if (found.length !== 1) throw new Error(`${found.length} blocks say <!-- doc-test: run ${name} -->`);
  return found[0]!.code;
}

/** Lines that are commands: not blank, not comments. */
function commandLines(code: string): string[] {
  return code.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
}

interface Shell {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
}

interface RunningShell {
  readonly done: Promise<Shell>;
  output(): string;
  /** Signals the script's process group, as a terminal does. */
  signal(signal: NodeJS.Signals): void;
}

/**
 * Runs `script` with bash from the repository root, as the docs assume, failing on the first
 * failing command (`-e -o pipefail`), in a process group of its own; `until` stops it with
 * SIGINT, as Ctrl-C would, once its output passes the check.
 */
function startShell(script: string, env: NodeJS.ProcessEnv, { timeoutMs = 120_000, until }: { timeoutMs?: number; until?: (output: string) => boolean } = {}): RunningShell {
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  let output = '';
  let interrupted = false;
  const timer = setTimeout(() => signal('SIGKILL'), timeoutMs);
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    if (until !== undefined && !interrupted && until(output)) {
      interrupted = true;
      signal('SIGINT');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const done = new Promise<Shell>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
  return { done, output: () => output, signal };
}

function shell(script: string, env: NodeJS.ProcessEnv, options: { timeoutMs?: number; until?: (output: string) => boolean } = {}): Promise<Shell> {
  return startShell(script, env, options).done;
}

async function freeReadmePort(): Promise<void> {
  if (await portOpen(README_PORT)) {
    throw new Error(`port ${README_PORT} is in use: the docs' commands address the relay at http://localhost:${README_PORT} as written, so this test needs it free`);
  }
}

function orderBody(orderId: number, status: string): string {
  return JSON.stringify({ topic: 'order:status_update', order_id: orderId, prev_status: 'confirmed', new_status: status, updated_at: '2025-05-29 14:14:58' });
}

describe('shell blocks in the docs', () => {
  it('each says how it is tested', () => {
    expect(BLOCKS.length).toBeGreaterThan(10);
    const unexplained = BLOCKS.filter(({ annotation }) => annotation === undefined || !/^(run [a-z0-9-]+|run by \S.*|not run: \S.*)$/.test(annotation));
    expect(unexplained.map(({ file, line }) => `${file}:${line}`)).toEqual([]);
    for (const { file, annotation } of BLOCKS) {
      const paths = /^run by (.+)$/.exec(annotation!)?.[1];
      for (const path of paths?.split(/,\s*/) ?? []) {
        expect(`${file}: ${path} ${existsSync(join(ROOT, path)) ? 'exists' : 'is missing'}`).toBe(`${file}: ${path} exists`);
      }
    }
    const named = BLOCKS.flatMap(({ annotation }) => /^run ([a-z0-9-]+)$/.exec(annotation!)?.[1] ?? []).sort();
    expect(named).toEqual([...RUNNERS].sort());
  });
});

/** Every `run <name>` block, each run by the test of the same name below. */
const RUNNERS = ['readme-sign-and-send', 'readme-signatures', 'readme-dlq-replay', 'readme-consume', 'security-required-mode', 'kafka-scripts-tour', 'kafka-scripts-ports'];

describe('the README, against a relay on :3000', () => {
  const topics = uniqueTopics('docs');
  // The relay's own variables, as a user's terminal that runs the relay has them.
  const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: TEST_BROKER, ...topics, LOG_LEVEL: 'warn' };
  let relay: RelayProcess;

  beforeAll(async () => {
    await freeReadmePort();
    // Dedup off: the signing forms below send the same webhook again and each must publish.
    relay = await RelayProcess.start({ ...topics, PORT: String(README_PORT), DROPEA_API_KEYS: API_KEY, DEDUP_TTL_SECONDS: '0' });
  });

  afterAll(async () => {
    await relay?.kill('SIGTERM');
  });

  const postOrder = (body: string) => post(`${relay.url}/webhooks/dropea/orders`, body, { headers: { 'x-dropea-hmac-sha256': sign(body, API_KEY) } });

  it('readme-sign-and-send: signs, sends and reads the record back', async () => {
    const { code, output } = await shell(block('readme-sign-and-send'), env);
    expect(code).toBe(0);
    expect(output).toContain('HTTP/1.1 202 Accepted');
    expect(output).toContain(`"status":"published"`);
    expect(output).toContain(`"topic":"${topics.KAFKA_TOPIC_ORDERS}"`);
    // The record read back: its key and the webhook inside the envelope.
    expect(output).toMatch(/key\W+265494/);
    expect(output).toContain('"new_status": "cancelled"');
  });

  it('readme-signatures: every signing form shown gets 202', async () => {
    const main = block('readme-sign-and-send').split('\n');
    const body = main.find((line) => line.startsWith('body='))!;
    const curlStart = main.findIndex((line) => line.startsWith('curl '));
    const curlEnd = main.findIndex((line, index) => index > curlStart && !line.endsWith('\\'));
    const curl = main.slice(curlStart, curlEnd + 1).join('\n');
    const forms = commandLines(block('readme-signatures'));
    expect(forms.length).toBe(4);
    for (const form of forms) {
      const { code, output } = await shell([body, form, curl].join('\n'), env);
      // curl prints its progress meter on stderr; the answer's status line is the one that counts.
      const status = /^HTTP\/[\d.]+ .*$/m.exec(output)?.[0].trim();
      expect(`${form}\n${code} ${status}`).toBe(`${form}\n0 HTTP/1.1 202 Accepted`);
    }
  });

  it('readme-dlq-replay: a dry run, a replay, and its JSON report', async () => {
    // A webhook the rules refuse, kept on the dead-letter topic.
    const refused = JSON.stringify({ topic: 'order:status_update', order_id: 'not-a-number', new_status: 'cancelled', updated_at: '2025-05-29 14:14:58' });
    expect((await postOrder(refused)).status).toBe(422);
    const [dryRun, apply, json] = commandLines(block('readme-dlq-replay'));
    for (const command of [dryRun!, apply!]) {
      const { code, output } = await shell(command, env);
      expect(`${command} → ${code}`).toBe(`${command} → 0`);
      expect(output).toMatch(/^records 1\b/m);
    }
    const { code, output } = await shell(json!, env);
    expect(code).toBe(0);
    const report = output.slice(output.indexOf('{'));
    expect(() => JSON.parse(report) as unknown).not.toThrow();
  });

  it('readme-consume: each line prints records, and Ctrl-C or --max ends it with 0', async () => {
    // Ten distinct events, so that `--max 10` finds them.
    for (let order = 1; order <= 10; order++) {
      const body = orderBody(900_000 + order, 'shipped');
      expect((await postOrder(body)).status).toBe(202);
    }
    for (const command of commandLines(block('readme-consume'))) {
      const bounded = command.includes('--max');
      // A reader of new records only: new records keep coming until it has printed one.
      let sent = 0;
      const feeder = command.includes('--from-beginning')
        ? undefined
        : setInterval(() => void postOrder(orderBody(910_000 + sent++, 'delivered')), 1_000);
      try {
        const { code, signal, output } = await shell(command, env, bounded ? {} : { until: (printed) => /offset/.test(printed) });
        // Ctrl-C ends the shell's pipeline by the signal, as in a terminal; the reader itself
        // stops cleanly and says how many records it printed.
        expect(`${command} → ${bounded ? code : code === 0 || signal === 'SIGINT' || code === 130}`).toBe(`${command} → ${bounded ? 0 : true}`);
        expect(output).toMatch(/^\d+ record\(s\)$/m);
        expect(output).not.toMatch(/Kafka error/);
        if (bounded) expect(output).toMatch(/^10 record\(s\)$/m);
      } finally {
        clearInterval(feeder);
      }
    }
  });
});

describe('docs/SECURITY.md, required mode', () => {
  it('security-required-mode: the relay refuses an unsigned webhook with 401', async () => {
    await freeReadmePort();
    const [server, ...client] = block('security-required-mode').split('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, KAFKA_BROKERS: TEST_BROKER, ...uniqueTopics('docs-security'), LOG_LEVEL: 'warn' };
    // The first line is the server, in its own terminal; the rest is typed in another one.
    const running = startShell(server!, env);
    try {
      const deadline = Date.now() + 60_000;
      while (!(await portOpen(README_PORT))) {
        if (Date.now() > deadline) throw new Error(`the relay did not listen:\n${running.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { code, output } = await shell(client.join('\n'), env);
      expect(code).toBe(0);
      expect(output.trim()).toBe('401');
    } finally {
      running.signal('SIGTERM');
    }
    expect((await running.done).code).toBe(0);
  });
});

describe('scripts/kafka/README.md', () => {
  // Its own ports and directory, as written: 9092 (the default) and 19092.
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['KAFKA_LOCAL_PORT'];
  delete env['KAFKA_LOCAL_CONTROLLER_PORT'];
  delete env['KAFKA_LOCAL_DIR'];

  it('kafka-scripts-tour: start, create a topic, produce, consume, status, stop', async () => {
    const { code, output } = await shell(block('kafka-scripts-tour'), env, { timeoutMs: 240_000 });
    expect(`${code}\n${output}`).toMatch(/^0\n/);
    expect(output).toMatch(/^hello$/m);
    expect(await portOpen(9092)).toBe(false);
  });

  it('kafka-scripts-ports: a broker on other ports, and its stop', async () => {
    const { code, output } = await shell(block('kafka-scripts-ports'), env, { timeoutMs: 240_000 });
    expect(`${code}\n${output}`).toMatch(/^0\n/);
    expect(output).toMatch(/Stopped Kafka broker pid \d+ on 127\.0\.0\.1:19092/);
    expect(await portOpen(19092)).toBe(false);
  });
});
