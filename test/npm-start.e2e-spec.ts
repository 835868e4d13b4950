import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { waitUntilReady } from './support/relay-app.js';

/**
 * `npm start` as a process manager runs it (systemd, an IDE's stop button, `concurrently`, a CI
 * runner): the signal goes to the npm process alone, not to a terminal's process group. The
 * relay must stop gracefully, then the broker `npm start` started, and nothing may be left
 * listening or running.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const LOCAL_BROKER_PORT = 9092;

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

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

describe('npm start, stopped by a process manager', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('stops the relay, then the broker it started, within 15 s of %s to the npm process alone', async (signal) => {
    const brokerWasRunning = await portOpen(LOCAL_BROKER_PORT);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DROPEA_API_KEYS: 'npm-start-key', LOG_LEVEL: 'warn' };
    delete env['KAFKA_BROKERS'];
    const npm = spawn('npm', ['start'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    npm.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));

    try {
      await waitUntilReady(`http://127.0.0.1:${port}`, 100_000);
    } catch (error) {
      npm.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${output}`);
    }
    const below = descendantsOf(npm.pid!);
    try {
      expect(below.length).toBeGreaterThan(0);
      process.kill(npm.pid!, signal);
      const timedOut = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000).unref());
      const code = await Promise.race([exited, timedOut]);
      expect(code).not.toBe('still running');
      expect(code).not.toBeNull();

      // Nothing listens any more, and nothing it started runs on.
      expect(await portOpen(port)).toBe(false);
      if (!brokerWasRunning) {
        await waitUntil(async () => !(await portOpen(LOCAL_BROKER_PORT)), 5_000, 'the broker npm start started still listens');
        expect(output).toContain('stopping the local Kafka broker');
      } else {
        // A broker it found running is left alone.
        expect(await portOpen(LOCAL_BROKER_PORT)).toBe(true);
      }
      expect(below.filter(alive)).toEqual([]);
    } finally {
      // Should it fail, whatever it left behind goes, so that it fails instead of hanging.
      for (const pid of [npm.pid!, ...below].filter(alive)) process.kill(pid, 'SIGKILL');
      if (!brokerWasRunning && (await portOpen(LOCAL_BROKER_PORT))) spawnSync('bash', ['scripts/kafka/stop.sh'], { cwd: REPO, stdio: 'ignore' });
      npm.stdout.destroy();
      npm.stderr.destroy();
    }
  });
});
