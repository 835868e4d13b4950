/** Where a program's process warnings go, by how much they matter. */
export interface WarningLog {
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * Node's process warnings (https://nodejs.org/api/process.html#event-warning) go to the
 * program's own log instead of Node's default text on stderr, so the relay's output stays one
 * JSON object per line.
 *
 * One is expected and harmless: kafkajs 2.2.4 (no longer released) arms a timer with a negative
 * delay whenever its request queue is idle; Node 24 warns of it (TimeoutNegativeWarning) and
 * runs it after 1 ms, which is what kafkajs means. That one is kept at debug.
 */
export function routeProcessWarnings(log: WarningLog): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    const line = `${warning.name}: ${warning.message}`;
    if (warning.name === 'TimeoutNegativeWarning') log.debug(line);
    else log.warn(line);
  });
}
