import { spawn } from 'node:child_process';

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A run that was sent a signal: also the signal that ended it, if one did. */
export interface SignalledRun extends Run {
  readonly signal: NodeJS.Signals | null;
}

/** Once the program has printed `lines` non-empty lines on stdout, it is sent `signal`. */
export interface SignalAfter {
  readonly lines: number;
  readonly signal: NodeJS.Signals;
}

/**
 * Runs a program to its end with only PATH and `env` in its environment, and keeps what it
 * printed; killed after `timeoutMs`, so a hung program (or one that never prints the lines of
 * `signalAfter`, or ignores its signal) fails its test instead of the run.
 */
export function runProcess(command: string, args: readonly string[], env: Record<string, string>, timeoutMs?: number): Promise<Run>;
export function runProcess(command: string, args: readonly string[], env: Record<string, string>, timeoutMs: number, signalAfter: SignalAfter): Promise<SignalledRun>;
export function runProcess(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  signalAfter?: SignalAfter,
): Promise<Run | SignalledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (signalAfter && !signalled && stdout.split('\n').filter((line) => line !== '').length >= signalAfter.lines) {
        signalled = true;
        child.kill(signalAfter.signal);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve(signalAfter ? { code, signal, stdout, stderr } : { code, stdout, stderr });
    });
  });
}
