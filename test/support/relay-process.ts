import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitUntilReady } from './relay-app.js';
import { TEST_BROKER } from './test-broker.mjs';

/** The production entry point, `node dist/main.js`, as the container runs it (built by `npm test`). */
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/**
 * The relay as its own process, for what only a process can show: SIGTERM, `kill -9`, a
 * restart on the same spool.
 */
export class RelayProcess {
  private output = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    exited: Promise<number | null>,
  ) {
    this.exited = exited;
  }

  /**
   * Starts `node dist/main.js`; `wrap` is a command it runs under (e.g. `unshare …`), which
   * receives node and the script as its last arguments. Rejects with the output when the
   * process exits before it listens.
   */
  static async start(env: Record<string, string>, { waitReady = true, wrap = [] as readonly string[] } = {}): Promise<RelayProcess> {
    const [command, ...args] = [...wrap, process.execPath, MAIN];
    const child = spawn(command!, args, {
      env: {
        PATH: process.env['PATH'] ?? '',
        KAFKA_BROKERS: TEST_BROKER,
        KAFKA_CREATE_TOPICS: 'true',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const port = /Listening on http:\/\/[^\s:]+:(\d+)/.exec(output)?.[1];
        if (port) resolve(`http://127.0.0.1:${port}`);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then((code) => reject(new Error(`relay exited with ${code} before listening:\n${output}`)));
    });
    const relay = new RelayProcess(child, url, exited);
    relay.output = output;
    const keep = (chunk: Buffer): void => void (relay.output += chunk.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    if (waitReady) await waitUntilReady(url);
    return relay;
  }

  /** Everything the process printed so far. */
  get logs(): string {
    return this.output;
  }

  /** Sends a signal and resolves with the exit code (null when the signal ended it). */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }

  /** Resolves with the exit code once the process has ended by itself. */
  waitForExit(): Promise<number | null> {
    return this.exited;
  }
}
