// Child processes the bench starts, and the guarantees around them: every one is tracked until
// it exits, and whatever is still alive when this process exits is killed (the last resort
// behind the orderly cleanup in run.mjs).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const alive = new Set();

process.on('exit', () => {
  for (const child of alive) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Kills every tracked child at once (SIGKILL); for a forced exit. */
export function killAllNow() {
  for (const child of alive) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** A TCP port nothing listens on right now, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Keeps the last `max` lines written by a stream. */
function lineTail(max) {
  const lines = [];
  let partial = '';
  return {
    push(chunk) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > max) lines.shift();
      }
    },
    lines: () => (partial ? [...lines, partial] : [...lines]),
  };
}

/**
 * Starts a long-running process (the relay, the HTTP ceiling server). It runs in its own
 * process group, so a Ctrl-C in the terminal reaches only the bench, which then stops it in
 * order (load first, then the server with SIGTERM).
 */
export function startProcess(name, command, args, { env, cwd, logLines = 200 } = {}) {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail = lineTail(logLines);
  child.stdout.on('data', (chunk) => tail.push(chunk));
  child.stderr.on('data', (chunk) => tail.push(chunk));
  alive.add(child);
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      alive.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      alive.delete(child);
      resolve({ code: null, signal: null, error: error.message });
    });
  });
  let exit;
  void exited.then((result) => {
    exit = result;
  });
  return {
    name,
    pid: child.pid,
    exited,
    get exit() {
      return exit;
    },
    log: () => tail.lines(),
    /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it ended. */
    async stop(graceMs = 35_000) {
      if (exit) return { ...exit, killed: false };
      child.kill('SIGTERM');
      const ended = await Promise.race([exited, sleep(graceMs).then(() => null)]);
      if (ended) return { ...ended, killed: false };
      child.kill('SIGKILL');
      return { ...(await exited), killed: true };
    },
  };
}

/** Polls `url` until it answers 200; fails early if `processHandle` exits first. */
export async function waitForHttp(url, { timeoutMs, processHandle, signal }) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    signal?.throwIfAborted();
    if (processHandle?.exit) {
      throw new Error(`${processHandle.name} exited (${JSON.stringify(processHandle.exit)}) before ${url} answered 200`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Runs a command to completion and collects its output. `detached` puts it in its own process
 * group, out of reach of a second Ctrl-C (used for the broker's stop script during cleanup).
 */
export function runCommand(command, args, { env, cwd, timeoutMs = 120_000, detached = false, signal } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached });
    alive.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      alive.delete(child);
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, exitSignal) => {
      alive.delete(child);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve({ code, signal: exitSignal, stdout, stderr });
    });
  });
}

/** runCommand that fails unless the command exits 0. */
export async function runChecked(command, args, options) {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited ${result.code ?? result.signal}\n${output}`);
  }
  return result;
}
