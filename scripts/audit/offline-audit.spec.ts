import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * scripts/audit/offline-audit.mjs, run as the command it is (its exit status is its contract)
 * against a hand-made lock file and hand-made OSV advisories. Every advisory id below is made of
 * repeated characters: valid GHSA syntax, never a real advisory.
 */

const SCRIPT = fileURLToPath(new URL('./offline-audit.mjs', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function audit(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SCRIPT, ...args], { timeout: 10_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // A non-numeric code (timeout, buffer overflow) is a failure of the test, not an exit status.
      if (error !== null && typeof error.code !== 'number') reject(error);
      else resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

interface Finding {
  id: string;
  aliases: string[];
  severity: string;
  summary: string;
  package: string;
  version: string;
  production: boolean;
  paths: string[];
  via: string[];
  fixed?: string;
  affectedRanges: string;
  file: string;
}

interface Report {
  database: { path: string; mode: string; files: number; npmAdvisories: number; withdrawn: number; newestModified?: string; unreadable: number };
  lockfile: { path: string; lockfileVersion: number; packages: number; production: number };
  minSeverity: string;
  findings: Finding[];
  unrated: Finding[];
  unparsableVersions: string[];
}

function reportOf(run: Run): Report {
  return JSON.parse(run.stdout) as Report;
}

/** What a finding is judged on; paths, file and summary are covered separately or not at all. */
const brief = (f: Finding) => ({
  id: f.id,
  severity: f.severity,
  installed: `${f.package}@${f.version}`,
  production: f.production,
  fixed: f.fixed,
  via: f.via,
});

// ---------------------------------------------------------------------------------------------
// Fixtures

type Event = { introduced: string } | { fixed: string } | { last_affected: string } | { limit: string };

interface Affected {
  readonly name: string;
  readonly ecosystem?: string;
  readonly events?: readonly Event[];
  readonly versions?: readonly string[];
  readonly extra?: Record<string, unknown>;
}

interface AdvisorySpec {
  readonly id: string;
  readonly severity: 'LOW' | 'MODERATE' | 'HIGH' | 'CRITICAL';
  readonly affected: readonly Affected[];
  readonly modified?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
}

/** An advisory shaped like github/advisory-database's files (OSV 1.4), with only what the spec varies. */
function osv(spec: AdvisorySpec): object {
  return {
    schema_version: '1.4.0',
    id: spec.id,
    modified: spec.modified ?? '2024-01-15T00:00:00Z',
    published: '2024-01-10T00:00:00Z',
    ...(spec.withdrawn === undefined ? {} : { withdrawn: spec.withdrawn }),
    aliases: spec.aliases ?? [],
    summary: `Test advisory ${spec.id}`,
    details: 'Hand-made for scripts/audit/offline-audit.spec.ts.',
    severity: [],
    affected: spec.affected.map((a) => ({
      package: { ecosystem: a.ecosystem ?? 'npm', name: a.name },
      ...(a.events === undefined ? {} : { ranges: [{ type: 'ECOSYSTEM', events: a.events }] }),
      ...(a.versions === undefined ? {} : { versions: a.versions }),
      ...a.extra,
    })),
    references: [],
    database_specific: { cwe_ids: [], severity: spec.severity, github_reviewed: true, github_reviewed_at: '2024-01-12T00:00:00Z', nvd_published_at: null },
  };
}

/**
 * The project: lib-a (production) with its own lib-c 0.9.0 nested under it; lib-b (dev) with
 * lib-c 1.0.0 at the top level; lib-d, a dev dependency that is also an optional peer of lib-a
 * (npm flags it devOptional, and `npm ci --omit=dev` still installs it).
 */
const LOCKFILE = {
  name: 'audit-fixture',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': {
      name: 'audit-fixture',
      version: '1.0.0',
      dependencies: { 'lib-a': '^1.2.0' },
      devDependencies: { 'lib-b': '^2.0.0', 'lib-d': '^3.1.0' },
    },
    'node_modules/lib-a': {
      version: '1.2.3',
      dependencies: { 'lib-c': '^0.9.0' },
      peerDependencies: { 'lib-d': '^3.0.0' },
      peerDependenciesMeta: { 'lib-d': { optional: true } },
    },
    'node_modules/lib-a/node_modules/lib-c': { version: '0.9.0' },
    'node_modules/lib-b': { version: '2.0.0', dev: true, dependencies: { 'lib-c': '^1.0.0' } },
    'node_modules/lib-c': { version: '1.0.0', dev: true },
    'node_modules/lib-d': { version: '3.1.0', devOptional: true },
  },
};

// lib-a 1.2.3 is in the first range; 1.2.4 fixes it but a second entry re-opens 1.2.4-1.2.5,
// so the first version that is clean of the whole advisory is 1.2.6.
const HIGH_LIB_A: AdvisorySpec = {
  id: 'GHSA-2222-2222-2222',
  severity: 'HIGH',
  aliases: ['CVE-0000-00002'],
  modified: '2024-01-20T00:00:00Z',
  affected: [
    { name: 'lib-a', events: [{ introduced: '1.0.0' }, { fixed: '1.2.4' }] },
    { name: 'lib-a', events: [{ introduced: '1.2.4' }, { fixed: '1.2.6' }] },
  ],
};
const CRITICAL_LIB_B: AdvisorySpec = {
  id: 'GHSA-3333-3333-3333',
  severity: 'CRITICAL',
  affected: [{ name: 'lib-b', events: [{ introduced: '0' }, { fixed: '2.0.1' }] }],
};
/** Ranges on both sides of what is locked: lib-a 1.2.3 is below, lib-b 2.0.0 above. */
const HIGH_NOT_LOCKED: AdvisorySpec = {
  id: 'GHSA-4444-4444-4444',
  severity: 'HIGH',
  affected: [
    { name: 'lib-a', events: [{ introduced: '1.3.0' }, { fixed: '1.4.0' }] },
    { name: 'lib-b', events: [{ introduced: '0' }, { last_affected: '1.9.9' }] },
  ],
};
/** Matches the nested lib-c 0.9.0 only; the top-level lib-c 1.0.0 is the fix. */
const LOW_LIB_C: AdvisorySpec = {
  id: 'GHSA-5555-5555-5555',
  severity: 'LOW',
  affected: [{ name: 'lib-c', events: [{ introduced: '0.5.0' }, { fixed: '1.0.0' }] }],
};
const WITHDRAWN_LIB_A: AdvisorySpec = {
  id: 'GHSA-6666-6666-6666',
  severity: 'HIGH',
  withdrawn: '2024-01-18T00:00:00Z',
  modified: '2024-01-25T00:00:00Z',
  affected: [{ name: 'lib-a', events: [{ introduced: '0' }] }],
};
// Same package name and a range that covers it, but PyPI. The "npm" string lets the file through
// the script's text pre-filter, so it is the ecosystem check that has to reject it.
const PYPI_LIB_A: AdvisorySpec = {
  id: 'GHSA-7777-7777-7777',
  severity: 'CRITICAL',
  affected: [{ name: 'lib-a', ecosystem: 'PyPI', events: [{ introduced: '0' }], extra: { ecosystem_specific: { not: 'npm' } } }],
};
/** By an explicit `versions` list, no range, so no fixed version to report. */
const MODERATE_LIB_D: AdvisorySpec = {
  id: 'GHSA-8888-8888-8888',
  severity: 'MODERATE',
  affected: [{ name: 'lib-d', versions: ['3.0.0', '3.1.0'] }],
};

const ALL = [HIGH_LIB_A, CRITICAL_LIB_B, HIGH_NOT_LOCKED, LOW_LIB_C, WITHDRAWN_LIB_A, PYPI_LIB_A, MODERATE_LIB_D];

let dir: string;
let lockfile: string;

/**
 * Writes advisories the way the database stores them, year/month/id/id.json: under
 * advisories/github-reviewed (a checkout) or at the top (a folder extracted from one).
 */
async function writeDatabase(name: string, advisories: readonly AdvisorySpec[], layout: 'checkout' | 'folder'): Promise<string> {
  const root = join(dir, name);
  const base = layout === 'checkout' ? join(root, 'advisories', 'github-reviewed') : root;
  await mkdir(base, { recursive: true });
  for (const advisory of advisories) {
    const folder = join(base, '2024', '01', advisory.id);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${advisory.id}.json`), `${JSON.stringify(osv(advisory), null, 2)}\n`);
  }
  return root;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'offline-audit-'));
  lockfile = join(dir, 'package-lock.json');
  await writeFile(lockfile, JSON.stringify(LOCKFILE, null, 2));
  // lockfileVersion 1 (npm 6) has no "packages" map, which the script needs.
  await writeFile(join(dir, 'v1-lock.json'), JSON.stringify({ name: 'old', lockfileVersion: 1, dependencies: {} }));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('offline-audit.mjs', () => {
  let full: string;
  /** The default run (--json, threshold high) over every advisory; several tests read it, one child serves them. */
  let defaultRun: Promise<Run>;

  beforeAll(async () => {
    full = await writeDatabase('full', ALL, 'checkout');
    defaultRun = audit([full, '--lockfile', lockfile, '--json']);
  });

  it('reports exactly the high and critical matches, with exit status 1', async () => {
    const run = await defaultRun;

    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = reportOf(run);
    expect(report.minSeverity).toBe('HIGH');
    // Critical first, then high; withdrawn, PyPI, out-of-range and below-threshold are absent.
    expect(report.findings.map(brief)).toEqual([
      { id: 'GHSA-3333-3333-3333', severity: 'CRITICAL', installed: 'lib-b@2.0.0', production: false, fixed: '2.0.1', via: ['audit-fixture', 'lib-b'] },
      { id: 'GHSA-2222-2222-2222', severity: 'HIGH', installed: 'lib-a@1.2.3', production: true, fixed: '1.2.6', via: ['audit-fixture', 'lib-a'] },
    ]);
    expect(report.unrated).toEqual([]);
    expect(report.unparsableVersions).toEqual([]);
  });

  it('describes each finding: aliases, affected range, paths and the advisory file', async () => {
    const report = reportOf(await defaultRun);
    const libA = report.findings.find((f) => f.id === 'GHSA-2222-2222-2222');

    // One finding although two `affected` entries name lib-a; only the matching range is shown.
    expect(libA).toEqual({
      id: 'GHSA-2222-2222-2222',
      aliases: ['CVE-0000-00002'],
      severity: 'HIGH',
      summary: 'Test advisory GHSA-2222-2222-2222',
      package: 'lib-a',
      version: '1.2.3',
      production: true,
      paths: ['node_modules/lib-a'],
      via: ['audit-fixture', 'lib-a'],
      fixed: '1.2.6',
      affectedRanges: '>=1.0.0 <1.2.4',
      file: join('2024', '01', 'GHSA-2222-2222-2222', 'GHSA-2222-2222-2222.json'),
    });
  });

  it('counts what it read: files, npm advisories, withdrawn ones, the newest live modification', async () => {
    const report = reportOf(await defaultRun);

    expect(report.database).toMatchObject({
      path: join(full, 'advisories', 'github-reviewed'),
      mode: 'checkout',
      files: ALL.length,
      npmAdvisories: 5,
      withdrawn: 1,
      // The withdrawn advisory's later date does not count: it was skipped.
      newestModified: '2024-01-20T00:00:00Z',
      unreadable: 0,
    });
    expect(report.lockfile).toEqual({ path: lockfile, lockfileVersion: 3, packages: 5, production: 3 });
  });

  it('includes lower severities with --min-severity, and marks devOptional packages as production', async () => {
    const run = await audit([full, '--lockfile', lockfile, '--json', '--min-severity', 'low']);

    expect(run.code).toBe(1);
    const report = reportOf(run);
    expect(report.minSeverity).toBe('LOW');
    expect(report.findings.map(brief)).toEqual([
      { id: 'GHSA-3333-3333-3333', severity: 'CRITICAL', installed: 'lib-b@2.0.0', production: false, fixed: '2.0.1', via: ['audit-fixture', 'lib-b'] },
      { id: 'GHSA-2222-2222-2222', severity: 'HIGH', installed: 'lib-a@1.2.3', production: true, fixed: '1.2.6', via: ['audit-fixture', 'lib-a'] },
      // `npm ci --omit=dev` installs devOptional packages, so a finding there ships.
      { id: 'GHSA-8888-8888-8888', severity: 'MODERATE', installed: 'lib-d@3.1.0', production: true, fixed: undefined, via: ['audit-fixture', 'lib-d'] },
      // The nested copy, reached through lib-a; the top-level lib-c 1.0.0 is not affected.
      { id: 'GHSA-5555-5555-5555', severity: 'LOW', installed: 'lib-c@0.9.0', production: true, fixed: '1.0.0', via: ['audit-fixture', 'lib-a', 'lib-c'] },
    ]);
  });

  it('stops at the threshold: --min-severity critical leaves only the critical finding', async () => {
    const report = reportOf(await audit([full, '--lockfile', lockfile, '--json', '--min-severity', 'CRITICAL']));

    expect(report.findings.map((f) => f.id)).toEqual(['GHSA-3333-3333-3333']);
  });

  it('prints the same findings as text without --json', async () => {
    const run = await audit([full, '--lockfile', lockfile]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('2 finding(s), 1 in production dependencies:');
    expect(run.stdout).toContain('CRITICAL GHSA-3333-3333-3333');
    expect(run.stdout).toContain('lib-b@2.0.0  dev only  affected >=0 <2.0.1; fixed in 2.0.1');
    expect(run.stdout).toContain('HIGH     GHSA-2222-2222-2222 (CVE-0000-00002)');
    expect(run.stdout).toContain('lib-a@1.2.3  PRODUCTION  affected >=1.0.0 <1.2.4; fixed in 1.2.6');
    expect(run.stdout).toContain('via audit-fixture > lib-a');
    expect(run.stdout).toContain('Summary: critical 1, high 1 (production 1, dev 1)');
    for (const absent of ['GHSA-4444', 'GHSA-5555', 'GHSA-6666', 'GHSA-7777', 'GHSA-8888']) expect(run.stdout).not.toContain(absent);
  });

  it('exits 0 when the advisories match nothing that is locked', async () => {
    // A folder extracted from the database (no advisories/github-reviewed above it).
    const clean = await writeDatabase('clean', [HIGH_NOT_LOCKED, WITHDRAWN_LIB_A, PYPI_LIB_A], 'folder');
    const run = await audit([clean, '--lockfile', lockfile, '--json']);

    expect(run.code).toBe(0);
    const report = reportOf(run);
    expect(report.findings).toEqual([]);
    expect(report.database).toMatchObject({ path: clean, mode: 'folder', files: 3, npmAdvisories: 1, withdrawn: 1 });
    expect((await audit([clean, '--lockfile', lockfile])).stdout).toContain('No finding.');
  });

  it('exits 0 when the only matches are below the threshold', async () => {
    const low = await writeDatabase('low-only', [LOW_LIB_C, MODERATE_LIB_D], 'checkout');

    expect((await audit([low, '--lockfile', lockfile, '--json'])).code).toBe(0);
    expect((await audit([low, '--lockfile', lockfile, '--json', '--min-severity', 'moderate'])).code).toBe(1);
  });

  // A wrong path must never pass as a clean audit.
  it.each([
    ['only advisories of another ecosystem', [PYPI_LIB_A]],
    ['no advisory at all', []],
  ])('exits 2, with nothing on stdout, for a folder holding %s', async (name, advisories) => {
    const db = await writeDatabase(`no-npm-${advisories.length}`, advisories, 'checkout');
    const run = await audit([db, '--lockfile', lockfile, '--json']);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('No npm advisory found under');
  });

  it.each<[string, () => string[], string]>([
    ['no database path', () => ['--lockfile', lockfile], 'Give exactly one advisory database path.'],
    ['two database paths', () => [full, full, '--lockfile', lockfile], 'Give exactly one advisory database path.'],
    ['an unknown option', () => [full, '--lockfile', lockfile, '--severity', 'high'], "Unknown option '--severity'"],
    ['an unknown severity', () => [full, '--lockfile', lockfile, '--min-severity', 'severe'], '--min-severity must be one of low, moderate, high, critical'],
    ['--min-severity without a value', () => [full, '--lockfile', lockfile, '--min-severity'], '--min-severity'],
    ['a value for --json', () => [full, '--lockfile', lockfile, '--json=yes'], '--json'],
    ['a missing lock file', () => [full, '--lockfile', join(dir, 'absent.json')], 'Cannot read the lock file'],
    ['a lock file without "packages"', () => [full, '--lockfile', join(dir, 'v1-lock.json')], 'has no "packages" map'],
    ['a database path that does not exist', () => [join(dir, 'absent'), '--lockfile', lockfile], 'No such file or directory'],
    ['a database path that is a file', () => [lockfile, '--lockfile', lockfile], 'Not a directory'],
  ])('exits 2 with the usage for %s', async (name, args, message) => {
    const run = await audit(args());

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Usage: node scripts/audit/offline-audit.mjs');
  });

  it('exits 0 with the usage for --help', async () => {
    const run = await audit(['--help']);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: node scripts/audit/offline-audit.mjs');
  });

  // A report bigger than a pipe's buffer (64 KiB on Linux) must reach a reader whole: `--json`
  // piped into jq or a file write that lags behind would otherwise get a truncated document.
  it('writes a report larger than a pipe buffer in full before exiting', async () => {
    const count = 600;
    const names = Array.from({ length: count }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
    const bulkLock = join(dir, 'bulk-lock.json');
    await writeFile(
      bulkLock,
      JSON.stringify({
        name: 'bulk',
        version: '1.0.0',
        lockfileVersion: 3,
        packages: {
          '': { name: 'bulk', version: '1.0.0', dependencies: Object.fromEntries(names.map((n) => [n, '^1.0.0'])) },
          ...Object.fromEntries(names.map((n) => [`node_modules/${n}`, { version: '1.0.0' }])),
        },
      }),
    );
    const db = await writeDatabase(
      'bulk',
      [{ id: 'GHSA-9999-9999-9999', severity: 'HIGH', affected: names.map((name) => ({ name, events: [{ introduced: '0' }, { fixed: '1.0.1' }] })) }],
      'checkout',
    );
    const run = await audit([db, '--lockfile', bulkLock, '--json']);

    expect(run.code).toBe(1);
    expect(run.stdout.length).toBeGreaterThan(64 * 1024);
    expect(reportOf(run).findings).toHaveLength(count);
  });
});
