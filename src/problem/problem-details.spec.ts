import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { PROBLEM_TYPES } from './problem-details.js';

/** The rows of docs/contract.md's table of problem types: slug and status. */
function documentedTypes(): Map<string, number> {
  const contract = readFileSync(new URL('../../docs/contract.md', import.meta.url), 'utf8');
  const rows = [...contract.matchAll(/^\| `([a-z0-9-]+)` \| (\d{3}) \| (.+) \| (.+) \|$/gm)];
  return new Map(rows.map(([, slug, status]) => [slug!, Number(status)]));
}

describe('the problem types', () => {
  it('each have an entry in docs/contract.md with their status, what they mean and what the sender should do', () => {
    const relay = new Map(Object.values(PROBLEM_TYPES).map((type) => [type.slug as string, type.status as number]));
    expect(documentedTypes()).toEqual(relay);
  });
});
