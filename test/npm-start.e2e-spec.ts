import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, portOpen } from './support/local-ports.js';
import { parseExposition } from './support/prometheus-text.js';
import { waitUntilReady } from './support/relay-app.js';

/**
 * `npm start` behaves like any foreground server process (scripts/start-local.sh). A process
 * manager (systemd, an IDE's stop button, `concurrently`, a CI runner) signals the npm process
 * alone; a terminal's Ctrl-C signals its whole process group. Either way the relay stops
 * gracefully, then the broker `npm start` started; a second signal forces the stop; a relay that
 * dies takes the broker down with it and the exit status says so. Nothing may be left listening
 * or running.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const LOCAL_BROKER_PORT = 9092;

/** Every process below `root`, from /proc (Linux). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface NpmStart {
  readonly pid: number;
  readonly port: number;
  readonly brokerWasRunning: boolean;
  /** Every process below npm once the relay was ready. */
  readonly below: readonly number[];
  readonly exited: Promise<number | null>;
  output(): string;
  /** Resolves once the output contains `text`. */
  printed(text: string, timeoutMs: number): Promise<void>;
}

/**
 * Spawns `npm start` on a free port and waits until the relay is ready. `detached` gives npm a
 * process group of its own, as a terminal's foreground job has, so that the test can signal the
 * whole group the way Ctrl-C does.
 */
async function npmStart(extraEnv: NodeJS.ProcessEnv = {}, { detached = false } = {}): Promise<NpmStart> {
  const brokerWasRunning = await portOpen(LOCAL_BROKER_PORT);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DROPEA_API_KEYS: 'npm-start-key', LOG_LEVEL: 'warn', ...extraEnv };
  delete env['KAFKA_BROKERS'];
  const npm = spawn('npm', ['start'], { cwd: REPO, env, detached, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-8000);
  };
  npm.stdout.on('data', append);
  npm.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  try {
    await waitUntilReady(`http://127.0.0.1:${port}`, 100_000);
  } catch (error) {
    kill([npm.pid!, ...descendantsOf(npm.pid!)]);
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    pid: npm.pid!,
    port,
    brokerWasRunning,
    below: descendantsOf(npm.pid!),
    exited: exited.finally(() => {
      npm.stdout.destroy();
      npm.stderr.destroy();
    }),
    output: () => output,
    printed: (text, timeoutMs) => waitUntil(async () => output.includes(text), timeoutMs, `no "${text}" in the output:\n${output}\n`),
  };
}

function kill(pids: readonly number[]): void {
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
}

/** The exit status, or 'still running' when it takes longer than `ms`. */
function exitWithin(started: NpmStart, ms: number): Promise<number | null | 'still running'> {
  const timedOut = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms).unref());
  return Promise.race([started.exited, timedOut]);
}

/** Expects that exit status within `ms`; on a mismatch the failure shows what `npm start` printed. */
async function expectExit(started: NpmStart, ms: number, expected: number | 'still running'): Promise<void> {
  const code = await exitWithin(started, ms);
  if (code !== expected) throw new Error(`npm start: expected ${expected}, got ${code}; it printed:\n${started.output()}`);
}

/** Nothing listens on the relay's port, the broker it started is gone, no process it started runs. */
async function expectAllStopped(started: NpmStart): Promise<void> {
  expect(await portOpen(started.port)).toBe(false);
  if (!started.brokerWasRunning) {
    await waitUntil(async () => !(await portOpen(LOCAL_BROKER_PORT)), 5_000, 'the broker npm start started still listens');
  } else {
    // A broker it found running is left alone.
    expect(await portOpen(LOCAL_BROKER_PORT)).toBe(true);
  }
  expect(started.below.filter(alive)).toEqual([]);
}

/** Should a test fail, whatever it left behind goes, so that it fails instead of hanging. */
async function cleanUp(started: NpmStart): Promise<void> {
  kill([started.pid, ...started.below]);
  if (!started.brokerWasRunning && (await portOpen(LOCAL_BROKER_PORT))) spawnSync('bash', ['scripts/kafka/stop.sh'], { cwd: REPO, stdio: 'ignore' });
}

/**
 * A webhook whose body never finishes arriving: the relay's graceful stop waits for it. Resolves
 * once the relay counts it in flight; a signal sent before the relay has read its headers
 * would find no request to wait for, and the request would be turned away as one arriving late.
 */
async function requestInFlight(port: number): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const connected = connect(port, '127.0.0.1', () => {
      connected.write('POST /webhooks/dropea/orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"topic":');
      resolve(connected);
    });
    connected.once('error', reject);
  });
  const inFlight = async (): Promise<boolean> => {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return parseExposition(metrics).value('dropea_relay_webhooks_in_flight') === 1;
  };
  await waitUntil(inFlight, 5_000, 'the relay never counted the unfinished webhook in flight');
  return socket;
}

describe('npm start, stopped by a process manager or a terminal', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops the relay, then the broker it started, within 15 s of %s to the npm process alone', async (signal) => {
    const started = await npmStart();
    try {
      expect(started.below.length).toBeGreaterThan(0);
      process.kill(started.pid, signal);
      await expectExit(started, 15_000, signal === 'SIGINT' ? 130 : 143);
      expect(started.output()).toContain('the relay stopped cleanly');
      if (!started.brokerWasRunning) expect(started.output()).toContain('stopping the local Kafka broker');
      await expectAllStopped(started);
    } finally {
      await cleanUp(started);
    }
  });

  it("stops gracefully on a terminal's Ctrl-C, which signals the whole process group", async () => {
    const started = await npmStart({}, { detached: true });
    try {
      process.kill(-started.pid, 'SIGINT');
      await expectExit(started, 15_000, 130);
      // The relay saw one signal, so it drained instead of exiting at once.
      expect(started.output()).toContain('the relay stopped cleanly');
      expect(started.output()).not.toContain('forcing the stop');
      await expectAllStopped(started);
    } finally {
      await cleanUp(started);
    }
  });

  it('forces the stop on a second Ctrl-C while the relay waits for a request in flight', async () => {
    const started = await npmStart({ HTTP_REQUEST_TIMEOUT_MS: '60000' }, { detached: true });
    const socket = await requestInFlight(started.port);
    try {
      process.kill(-started.pid, 'SIGINT');
      await started.printed('stopping (send it again to force)', 5_000);
      // The graceful stop waits for the unfinished request; nothing ends it but the second signal.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await expectExit(started, 0, 'still running');
      process.kill(-started.pid, 'SIGINT');
      await expectExit(started, 10_000, 130);
      expect(started.output()).toContain('forcing the stop');
      expect(started.output()).not.toContain('the relay stopped cleanly');
      await expectAllStopped(started);
    } finally {
      socket.destroy();
      await cleanUp(started);
    }
  });

  it('stops the broker it started and exits non-zero when the relay dies', async () => {
    const started = await npmStart();
    try {
      const relay = started.below.filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/main.js'));
      expect(relay).toHaveLength(1);
      process.kill(relay[0]!, 'SIGKILL');
      const code = await exitWithin(started, 15_000);
      expect(code).not.toBe('still running');
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(started.output()).toContain('the relay exited on its own with status 137');
      if (!started.brokerWasRunning) expect(started.output()).toContain('stopping the local Kafka broker');
      await expectAllStopped(started);
    } finally {
      await cleanUp(started);
    }
  });
});
