import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/http.config.js';

/**
 * Paths that could hold a secret if an object carrying one were ever logged. Nothing logs such
 * objects today (the per-webhook line is built field by field, webhooks/webhook-telemetry.ts);
 * this is the second line of defence.
 */
const SECRET_PATHS = [
  'headers["x-dropea-hmac-sha256"]',
  '*.headers["x-dropea-hmac-sha256"]',
  'headers.authorization',
  '*.headers.authorization',
  'apiKeys',
  '*.apiKeys',
  'password',
  '*.password',
];

/**
 * The relay's one logger: JSON lines on stdout (https://getpino.io), levels by name, ISO
 * timestamps, so that a cluster's log pipeline can parse every line without configuration.
 * Lines are written synchronously: pino's default asynchronous stdout can lose the last lines
 * when the process exits, and under a full pipe it was seen to cut long lines short.
 */
export function createRelayLogger(level: LogLevel, destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  return pino(
    {
      name: 'dropea-relay',
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
