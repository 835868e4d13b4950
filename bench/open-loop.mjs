// The fixed-rate phase, open loop: vegeta sends `rate` requests per second, evenly spaced, for
// `seconds`, each a distinct signed body, and keeps every answer. Latency is vegeta's: from the
// moment the request was due to be sent to the last byte of the answer.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Samples } from './load.mjs';
import { SIGNATURE_HEADER } from './payloads.mjs';
import { ensureVegeta } from './vegeta.mjs';

function vegeta(bin, args, { signal, stdout } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', stdout ?? 'ignore', 'pipe'], signal });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vegeta ${args[0]} exited ${code}: ${stderr.trim()}`))));
  });
}

/**
 * @param {object} options
 * @param {string} options.url
 * @param {number} options.rate       requests per second
 * @param {number} options.seconds
 * @param {number} options.timeoutSeconds
 * @param {import('./payloads.mjs').PayloadSequence} options.payloads
 * @param {(id: string | undefined, seq: number, sentAt: number, answeredAt: number) => void} [options.onAccepted]
 * @param {AbortSignal} [options.signal]
 * @param {(line: string) => void} [options.say]
 */
export async function runOpenLoop({ url, rate, seconds, timeoutSeconds, payloads, onAccepted, signal, say }) {
  const bin = await ensureVegeta({ say });
  const dir = await mkdtemp(join(tmpdir(), 'dropea-bench-'));
  try {
    // One target per request, in send order; the seq rides in the query string, which the
    // routes ignore, so each answer can be matched to its request.
    const count = Math.ceil(rate * seconds);
    const lines = [];
    for (let i = 0; i < count; i++) {
      const next = payloads.next();
      lines.push(
        JSON.stringify({
          method: 'POST',
          url: `${url}${next.path}?seq=${next.seq}`,
          body: Buffer.from(next.body).toString('base64'),
          header: { 'Content-Type': ['application/json'], [SIGNATURE_HEADER]: [next.signature] },
        }),
      );
    }
    const targets = join(dir, 'targets.jsonl');
    const results = join(dir, 'results.bin');
    await writeFile(targets, `${lines.join('\n')}\n`);

    const started = performance.now();
    await vegeta(
      bin,
      ['attack', '-format=json', `-targets=${targets}`, `-rate=${rate}/1s`, `-duration=${seconds}s`, `-timeout=${timeoutSeconds}s`, `-output=${results}`],
      { signal },
    );
    const elapsedSeconds = (performance.now() - started) / 1000;

    const latencies = new Samples();
    const statuses = {};
    let errors = 0;
    let acceptedWithoutId = 0;
    const encoder = spawn(bin, ['encode', '-to=json', results], { stdio: ['ignore', 'pipe', 'inherit'], signal });
    for await (const line of createInterface({ input: encoder.stdout })) {
      if (line === '') continue;
      const result = JSON.parse(line);
      const latencyMs = result.latency / 1e6;
      latencies.push(latencyMs);
      if (result.error && !result.code) {
        errors += 1;
        continue;
      }
      statuses[result.code] = (statuses[result.code] ?? 0) + 1;
      if (result.code !== 202 || !onAccepted) continue;
      const seq = Number(new URL(result.url).searchParams.get('seq'));
      let id;
      try {
        id = JSON.parse(Buffer.from(result.body ?? '', 'base64').toString('utf8')).id;
      } catch {
        id = undefined;
      }
      if (typeof id !== 'string') acceptedWithoutId += 1;
      // On this process's performance timeline, like the closed-loop phases' times.
      const sentAt = Date.parse(result.timestamp) - performance.timeOrigin;
      onAccepted(typeof id === 'string' ? id : undefined, seq, sentAt, sentAt + latencyMs);
    }
    const non2xx = {};
    for (const [status, n] of Object.entries(statuses)) if (status < 200 || status > 299) non2xx[status] = n;
    const completed = Object.values(statuses).reduce((a, b) => a + b, 0);
    return {
      generator: 'vegeta',
      connections: null,
      overallRate: rate,
      elapsedSeconds: Math.round(elapsedSeconds * 100) / 100,
      sent: count,
      completed,
      requestsPerSecond: Math.round(completed / seconds),
      latencyMs: latencies.summary(),
      errors,
      timeouts: 0,
      non2xx,
      non2xxTotal: Object.values(non2xx).reduce((a, b) => a + b, 0),
      statuses,
      acceptedWithoutId,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
