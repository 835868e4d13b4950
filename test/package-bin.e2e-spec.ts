import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runProcess } from './support/run-process.js';

/**
 * package.json `bin`: the service and the tools beside it (src/cli) as commands of their own,
 * built into dist/ and runnable by path as npm links them.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { bin: Record<string, string> };

describe('package.json bin', () => {
  it('names the relay and its two tools', () => {
    expect(pkg.bin).toEqual({
      'dropea-relay': 'dist/main.js',
      'dropea-relay-consume': 'dist/cli/consume/main.js',
      'dropea-relay-dlq-replay': 'dist/cli/dlq-replay/main.js',
    });
  });

  it.each(Object.entries(pkg.bin))('%s is a built Node program with a shebang', (_, path) => {
    expect(readFileSync(`${ROOT}${path}`, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it.each([
    ['dropea-relay-consume', 'Usage: npm run consume'],
    ['dropea-relay-dlq-replay', 'Usage: npm run dlq:replay'],
  ])('%s --help prints its usage and exits 0', async (name, usage) => {
    const run = await runProcess(process.execPath, [`${ROOT}${pkg.bin[name]!}`, '--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(usage);
    expect(run.stdout).toContain(name);
  });
});
