import { ConfigError } from '../config/env-reader.js';
import { loadRelayConfig, type RelayConfig } from '../config/relay-config.js';
import { routeProcessWarnings } from '../logging/process-warnings.js';

/** Exit statuses of the relay's command-line programs (sysexits.h). */
export const EXIT_USAGE = 64;
export const EXIT_CONFIG = 78;

/** Resolves once the text has been handed to the stream, so a program can exit right after. */
export function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/** A command line the program cannot run: the problem and the usage on stderr, then EXIT_USAGE. */
export async function usageError(program: string, message: string, usage: string): Promise<typeof EXIT_USAGE> {
  await write(process.stderr, `${program}: ${message}\n\n${usage}`);
  return EXIT_USAGE;
}

/**
 * The relay's configuration from the environment, as the relay itself reads it; on a bad
 * variable, prints the message naming it under the program's name and returns EXIT_CONFIG.
 */
export async function loadConfigFor(program: string, env: NodeJS.ProcessEnv): Promise<RelayConfig | typeof EXIT_CONFIG> {
  try {
    return loadRelayConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    await write(process.stderr, `${program}: ${error.message}\n`);
    return EXIT_CONFIG;
  }
}

/** A program's process warnings on stderr under its name, kafkajs's idle-timer one left out (logging/process-warnings.ts). */
export function warnOnStderr(program: string): void {
  routeProcessWarnings({ warn: (message) => process.stderr.write(`${program}: ${message}\n`), debug: () => undefined });
}
