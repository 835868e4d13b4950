// One load phase with autocannon (programmatic API, in this process): a fixed number of
// connections for a duration (closed loop), or a fixed overall rate, or a fixed number of
// requests (soak). Every request is a distinct signed body from a PayloadSequence.
//
// Latency is taken from autocannon's per-response event (write to last byte, sub-millisecond,
// every response whatever its status) and its percentiles are computed here: autocannon's own
// histogram keeps whole milliseconds, too coarse for a loopback server, and under a rate limit
// it "corrects" for coordinated omission with an interval of 1 ms that does not match its
// actual pacing.
import autocannon from 'autocannon';
import { SIGNATURE_HEADER } from './payloads.mjs';

export class Samples {
  constructor(capacity = 65536) {
    this.values = new Float64Array(capacity);
    this.length = 0;
  }

  push(value) {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  summary() {
    if (this.length === 0) return null;
    const sorted = this.values.slice(0, this.length).sort();
    // Nearest rank: the smallest value with at least p % of the samples at or below it.
    const at = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
    let total = 0;
    for (const value of sorted) total += value;
    const ms = (value) => Math.round(value * 1000) / 1000;
    return {
      p50: ms(at(50)),
      p90: ms(at(90)),
      p99: ms(at(99)),
      p999: ms(at(99.9)),
      max: ms(sorted[sorted.length - 1]),
      mean: ms(total / sorted.length),
    };
  }
}

/** Counts as shares of their total, to three decimals. */
function shares(counts) {
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  return counts.map((n) => Math.round((n / total) * 1000) / 1000);
}

/** The event id of a 202 answer, or undefined when the body is not what the relay promises. */
function acceptedId(body) {
  try {
    const parsed = JSON.parse(body);
    return typeof parsed?.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {object} options
 * @param {string} options.url         base URL, e.g. http://127.0.0.1:3000
 * @param {number} options.connections
 * @param {number} [options.seconds]    duration (ignored when `amount` is set)
 * @param {number} [options.amount]     total requests (soak)
 * @param {number} [options.overallRate] requests per second over all connections
 * @param {number} options.timeoutSeconds
 * @param {import('./payloads.mjs').PayloadSequence} options.payloads
 * @param {(id: string | undefined, seq: number, sentAt: number, answeredAt: number) => void} [options.onAccepted]
 * @param {(completed: number) => void} [options.onResponse]
 * @param {number} [options.maxSeconds]  stop early (gracefully) after this long, for a soak
 * @param {AbortSignal} [options.signal] stops the load and throws
 */
export async function runLoad(options) {
  const { url, connections, seconds, amount, overallRate, timeoutSeconds, payloads, onAccepted, onResponse, maxSeconds, signal } = options;
  signal?.throwIfAborted();
  const latencies = new Samples();
  const statuses = {};
  let completed = 0;
  let acceptedWithoutId = 0;
  let sendsInTenth; // for rate phases: when in each second requests were sent

  const request = {
    method: 'POST',
    setupRequest(req, context) {
      const next = payloads.next();
      context.seq = next.seq;
      context.sentAt = performance.now();
      if (sendsInTenth) sendsInTenth[Math.floor(((context.sentAt - started) % 1000) / 100)] += 1;
      req.path = next.path;
      req.body = next.body;
      req.headers[SIGNATURE_HEADER] = next.signature;
      return req;
    },
    onResponse(status, body, context) {
      if (status !== 202 || !onAccepted) return;
      const id = acceptedId(body);
      if (id === undefined) acceptedWithoutId += 1;
      onAccepted(id, context.seq, context.sentAt, performance.now());
    },
  };

  if (overallRate) sendsInTenth = new Array(10).fill(0);
  const started = performance.now();
  const instance = autocannon({
    url,
    connections,
    duration: seconds ?? 10,
    amount,
    overallRate,
    ignoreCoordinatedOmission: overallRate ? true : undefined,
    timeout: timeoutSeconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [request],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    completed += 1;
    onResponse?.(completed);
  });
  const stop = () => instance.stop();
  signal?.addEventListener('abort', stop, { once: true });
  const deadline = maxSeconds ? setTimeout(stop, maxSeconds * 1000) : undefined;
  let result;
  try {
    result = await instance;
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener('abort', stop);
  }
  const elapsedSeconds = (performance.now() - started) / 1000;
  signal?.throwIfAborted();

  const non2xx = {};
  for (const [status, count] of Object.entries(statuses)) if (status < 200 || status > 299) non2xx[status] = count;
  return {
    connections,
    overallRate: overallRate ?? null,
    elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
    sent: result.requests.sent,
    completed,
    requestsPerSecond: Math.round(completed / elapsedSeconds),
    latencyMs: latencies.summary(),
    errors: result.errors, // connection errors and timeouts
    timeouts: result.timeouts,
    non2xx,
    non2xxTotal: Object.values(non2xx).reduce((a, b) => a + b, 0),
    statuses,
    acceptedWithoutId,
    ...(sendsInTenth ? { sendShareByTenthOfSecond: shares(sendsInTenth) } : {}),
  };
}
