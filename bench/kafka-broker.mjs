// The bench's Kafka broker, through the repository's own scripts (scripts/kafka): a single-node
// broker on its own port pair (29092/29093 by default), so it never touches a developer's broker
// on 9092 or the test broker on 39092.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { runChecked, runCommand } from './processes.mjs';

const { Kafka, logLevel } = kafkajs;

export class KafkaBroker {
  /**
   * @param {{ repoRoot: string, port: number, controllerPort: number }} options
   */
  constructor({ repoRoot, port, controllerPort }) {
    this.repoRoot = repoRoot;
    this.port = port;
    this.bootstrap = `127.0.0.1:${port}`;
    this.env = {
      ...process.env,
      KAFKA_LOCAL_PORT: String(port),
      KAFKA_LOCAL_CONTROLLER_PORT: String(controllerPort),
    };
    this.startedHere = false;
    this.settings = undefined;
  }

  script(name) {
    return join(this.repoRoot, 'scripts', 'kafka', name);
  }

  async isRunning() {
    const result = await runCommand('bash', [this.script('status.sh')], { env: this.env, cwd: this.repoRoot, timeoutMs: 30_000 });
    return result.code === 0;
  }

  /** Starts the broker unless it already runs; remembers whether this run started it. */
  async ensure({ signal } = {}) {
    if (await this.isRunning()) return { reused: true, output: '' };
    // Set before starting: if the start is interrupted half-way, cleanup still stops it.
    this.startedHere = true;
    const result = await runChecked('bash', [this.script('start.sh')], {
      env: this.env,
      cwd: this.repoRoot,
      timeoutMs: 240_000,
      signal,
    });
    return { reused: false, output: `${result.stdout}${result.stderr}`.trim() };
  }

  /** Stops the broker, only if this run started it. Its own process group: a Ctrl-C cannot cut it short. */
  async stopIfStartedHere() {
    if (!this.startedHere) return false;
    this.startedHere = false;
    await runChecked('bash', [this.script('stop.sh')], { env: this.env, cwd: this.repoRoot, timeoutMs: 60_000, detached: true });
    return true;
  }

  /** Kafka version, jar folder and java binary, as scripts/kafka/env.sh defines them (fetching the jars if needed). */
  async loadSettings() {
    if (this.settings) return this.settings;
    const program = [
      'source "$1"',
      'kafka_require_java',
      'kafka_ensure_libs >&2',
      'printf "%s\\n" "$KAFKA_VERSION" "$KAFKA_LIBS_DIR" "$KAFKA_JAVA" "$KAFKA_TOOLS_LOG4J" "$KAFKA_LOCAL_DIR"',
    ].join('\n');
    const { stdout } = await runChecked('bash', ['-c', program, 'bench', this.script('env.sh')], {
      env: this.env,
      cwd: this.repoRoot,
      timeoutMs: 300_000,
    });
    const [version, libsDir, java, toolsLog4j, localDir] = stdout.trim().split('\n');
    this.settings = { version, libsDir, java, toolsLog4j, localDir };
    return this.settings;
  }

  /** The broker's pid (for sampling its CPU), from the pid file start.sh writes. */
  pid() {
    try {
      const pid = Number(readFileSync(join(this.settings.localDir, 'kafka.pid'), 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async createTopic(topic, partitions, { signal } = {}) {
    await runChecked(
      'bash',
      [this.script('topics.sh'), '--create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1'],
      { env: this.env, cwd: this.repoRoot, timeoutMs: 60_000, signal },
    );
  }
}

/** Deletes topics through the admin API (the bench's own topics, so runs do not pile up data). */
export async function deleteTopics(bootstrap, topics) {
  const kafka = new Kafka({ clientId: 'dropea-relay-bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 30_000 });
    return present;
  } finally {
    await admin.disconnect();
  }
}
