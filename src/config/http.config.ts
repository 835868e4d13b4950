import type { EnvReader } from './env-reader.js';

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly logLevel: LogLevel;
  /** How long SIGTERM waits for in-flight requests, the flush and the disconnect before giving up. */
  readonly shutdownTimeoutMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function readHttpConfig(env: EnvReader): HttpConfig {
  return {
    host: env.string('HOST', '0.0.0.0'),
    port: env.int('PORT', 3000, { min: 0, max: 65535 }),
    maxBodyBytes: env.int('MAX_BODY_BYTES', 65536, { min: 256, max: 16 * 1024 * 1024 }),
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    // Below Kubernetes' default terminationGracePeriodSeconds (30 s), so the relay exits by itself.
    shutdownTimeoutMs: env.int('SHUTDOWN_TIMEOUT_MS', 25_000, { min: 0, max: 3_600_000 }),
  };
}
