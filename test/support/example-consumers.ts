import { execFile } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const JAVA_EXAMPLE = `${ROOT}examples/java`;
export const GO_EXAMPLE = `${ROOT}examples/go`;

/** A consumer example, built, as a command line to run. */
export interface BuiltConsumer {
  readonly name: 'java' | 'go';
  readonly command: string;
  readonly args: readonly string[];
  /** How long its build took: minutes on a machine without Maven's or Go's caches, seconds with them. */
  readonly buildMs: number;
}

/**
 * Runs a build with the machine's environment (HOME, so ~/.m2 and Go's caches are the user's and
 * outlive the test run), and fails naming the tool and its output.
 */
async function build(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<number> {
  const startedAt = Date.now();
  try {
    await promisify(execFile)(command, [...args], { cwd, env: process.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}${stderr || String(error)}`);
  }
  return Date.now() - startedAt;
}

/**
 * examples/java as its README builds it: `mvn package` writes target/dropea-relay-consumer.jar
 * (protoc and every dependency from Maven Central, cached in ~/.m2).
 */
export async function buildJavaConsumer(timeoutMs: number): Promise<BuiltConsumer> {
  const jar = `${JAVA_EXAMPLE}/target/dropea-relay-consumer.jar`;
  // Maven takes seconds even with nothing to do; a jar newer than everything it is built from
  // (a second test run, CI's second Node.js line) is used as it is.
  const sources = [`${JAVA_EXAMPLE}/pom.xml`, `${JAVA_EXAMPLE}/src`, `${ROOT}proto`];
  const upToDate = modifiedMs(jar) > Math.max(...sources.map(newestModifiedMs));
  const buildMs = upToDate ? 0 : await build('mvn', ['--batch-mode', '--quiet', 'package'], JAVA_EXAMPLE, timeoutMs);
  return { name: 'java', command: 'java', args: ['-jar', jar], buildMs };
}

function modifiedMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time of a file, or of any file below a directory. */
function newestModifiedMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestModifiedMs(join(path, entry))));
}

/** examples/go as its README builds it (modules from the Go module proxy, cached by the go command). */
export async function buildGoConsumer(binary: string, timeoutMs: number): Promise<BuiltConsumer> {
  const buildMs = await build('go', ['build', '-o', binary, '.'], GO_EXAMPLE, timeoutMs);
  return { name: 'go', command: binary, args: [], buildMs };
}

/** One printed line, `name=value` pairs separated by spaces, as an object. */
export function parseLine(line: string): Record<string, string> {
  return Object.fromEntries(
    line.split(' ').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export function parseLines(stdout: string): Record<string, string>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map(parseLine);
}
