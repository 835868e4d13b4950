import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * bench/step-costs.mjs times the relay's own steps by importing them from dist/ (built by `npm
 * test` before the tests run), so a change of their signatures can break it without any other
 * test noticing. Here it runs on a few thousand webhooks, whose figures mean nothing: what is
 * checked is that every step of docs/benchmarks.md's table still runs and is timed.
 */
describe('bench/step-costs.mjs', () => {
  it('times every step of the relay’s path and what the reference does in its place', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bench/step-costs.mjs'], {
      cwd: ROOT,
      env: { ...process.env, STEP_COSTS_WEBHOOKS: '3000' },
      timeout: 120_000,
    });
    const [heading, ...rows] = stdout.trimEnd().split('\n');
    expect(heading).toBe(`Node ${process.version}, µs per webhook (best of 4 × 3,000)`);
    const timed = rows.map((row) => /^(.+?)\s+(\d+\.\d\d)$/.exec(row));
    expect(timed.every((match) => match !== null && Number(match[2]) > 0)).toBe(true);
    expect(timed.map((match) => match?.[1])).toEqual([
      'signature check (guard)',
      '  reference: HMAC + timingSafeEqual',
      'strict JSON (JsonBodyPipe)',
      '  reference: JSON.parse',
      'DTO rules (StatusUpdatePipe)',
      'updated_at, first parse',
      'envelope (normalize, event id included)',
      '  of which the event id',
      '  reference: randomUUID',
      'record value (JSON.stringify)',
      'record, its size included',
      'dedup (has + add)',
    ]);
  });
});
