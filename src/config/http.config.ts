import type { EnvReader } from './env-reader.js';

export interface HttpConfig {
  readonly host: string;
  readonly port: number;
  readonly maxBodyBytes: number;
  readonly logLevel: LogLevel;
  /** How long SIGTERM waits for in-flight requests, the flush and the disconnect before giving up. */
  readonly shutdownTimeoutMs: number;
  readonly timeouts: HttpTimeouts;
  /** Which proxies' X-Forwarded-For to believe for the client address (Fastify's `trustProxy`). */
  readonly trustProxy: TrustProxy;
  readonly rateLimit: RateLimitConfig;
}

/** The slow-client limits of the HTTP server (http/server-options.ts explains each). */
export interface HttpTimeouts {
  readonly requestMs: number;
  readonly connectionMs: number;
  readonly keepAliveMs: number;
}

/**
 * false: the client is the socket's peer; true: the left-most X-Forwarded-For address, whoever
 * sent it; else the comma-separated addresses, CIDRs or proxy-addr names (loopback,
 * uniquelocal) of the proxies to believe, which is what a cluster's ingress needs.
 */
export type TrustProxy = boolean | string;

/** Per-client limit on webhook requests; `max` 0 turns it off (the default). */
export interface RateLimitConfig {
  readonly max: number;
  readonly windowMs: number;
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
    timeouts: {
      // A webhook is at most MAX_BODY_BYTES; Dropea sends it in milliseconds, so 10 s is only
      // ever reached by a client dripping bytes to hold a connection (slowloris).
      requestMs: env.int('HTTP_REQUEST_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
      // Must outlast the longest answer: PUBLISH_TIMEOUT_MS plus a spool write.
      connectionMs: env.int('HTTP_CONNECTION_TIMEOUT_MS', 30_000, { min: 100, max: 3_600_000 }),
      // Longer than the idle timeout of the load balancers in front (60 s on most), so the relay
      // never closes a kept-alive connection a balancer is about to reuse.
      keepAliveMs: env.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, { min: 100, max: 3_600_000 }),
    },
    trustProxy: readTrustProxy(env),
    rateLimit: {
      max: env.int('RATE_LIMIT_MAX', 0, { min: 0, max: 1_000_000_000 }),
      windowMs: env.int('RATE_LIMIT_WINDOW_MS', 1_000, { min: 100, max: 3_600_000 }),
    },
  };
}

function readTrustProxy(env: EnvReader): TrustProxy {
  const value = env.optionalString('TRUST_PROXY')?.trim();
  if (value === undefined || value === '' || value === 'false') return false;
  return value === 'true' ? true : value;
}
