#!/usr/bin/env node
// Offline audit of package-lock.json against a local copy of GitHub's advisory database
// (https://github.com/github/advisory-database): for machines where `npm audit` cannot reach the
// registry's advisory endpoints. docs/SECURITY.md, "Dependencies", says when and how to run it.
//
//   node scripts/audit/offline-audit.mjs <advisory-database> [options]
//
// <advisory-database> is any of:
//   - a checkout of github/advisory-database (its advisories/github-reviewed/ is read);
//   - a folder of OSV JSON files extracted from it (read recursively, e.g. a `git archive` of
//     advisories/github-reviewed);
//   - its bare git directory (read with `git ls-tree` and `git cat-file`, no checkout needed).
//
// Every package in the lock file (all of node_modules: production, dev and optional) is matched
// against the reviewed advisories of the npm ecosystem, by the OSV rules for `ranges` (events
// introduced / fixed / last_affected / limit) and `versions`, with semver's ordering. Reported:
// every package@version matched by an advisory whose `database_specific.severity` is at least
// --min-severity (HIGH by default). Withdrawn advisories are skipped.
//
// Exit status: 0 no finding; 1 at least one finding; 2 bad arguments, or nothing to audit against
// (a database path holding no npm advisory is an error, never a clean result).
//
// Dependencies: Node's built-ins and `semver` (in node_modules through fastify and the dev tools),
// whose comparison follows the Semantic Versioning 2.0.0 precedence rules, prereleases included.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REVIEWED = join('advisories', 'github-reviewed');
const SEVERITIES = ['LOW', 'MODERATE', 'HIGH', 'CRITICAL'];
const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;

const USAGE = `Usage: node scripts/audit/offline-audit.mjs <advisory-database> [options]

<advisory-database>   a checkout of github/advisory-database, a folder of its OSV JSON files,
                      or its bare git directory

Options:
  --lockfile <path>      the lock file to audit (default: package-lock.json of this repository)
  --min-severity <s>     low | moderate | high | critical (default: high)
  --ref <rev>            the revision to read from a git directory (default: HEAD)
  --json                 one JSON document on stdout instead of the text report
  -h, --help             this text

Exit status: 0 no finding, 1 findings, 2 bad arguments or no npm advisory found at the path.`;

class UsageError extends Error {}

async function main() {
  const options = readOptions(process.argv.slice(2));
  const semver = await loadSemver();
  const lock = readLockfile(options.lockfile);
  const source = openAdvisorySource(options.database, options.ref);

  const byName = new Map();
  for (const installed of lock.installs.values()) {
    if (!byName.has(installed.name)) byName.set(installed.name, []);
    byName.get(installed.name).push(installed);
  }

  const stats = { files: 0, unreadable: [], npmAdvisories: 0, withdrawn: 0, newestModified: undefined };
  const findings = [];
  const unrated = [];
  const unparsable = new Set();
  const minRank = SEVERITIES.indexOf(options.minSeverity);

  await source.forEachFile((path, text) => {
    stats.files++;
    // Most advisories are of other ecosystems; the cheap test spares their JSON.parse.
    if (!text.includes('"npm"')) return;
    let advisory;
    try {
      advisory = JSON.parse(text);
    } catch {
      stats.unreadable.push(path);
      return;
    }
    const npmAffected = (advisory.affected ?? []).filter((entry) => entry?.package?.ecosystem === 'npm');
    if (npmAffected.length === 0) return;
    if (advisory.withdrawn) {
      stats.withdrawn++;
      return;
    }
    stats.npmAdvisories++;
    if (typeof advisory.modified === 'string' && (stats.newestModified === undefined || advisory.modified > stats.newestModified)) {
      stats.newestModified = advisory.modified;
    }
    const severity = String(advisory.database_specific?.severity ?? '').toUpperCase();
    const rank = SEVERITIES.indexOf(severity);
    if (rank !== -1 && rank < minRank) return;

    // One finding per advisory and package@version, even when the advisory lists the package in
    // several `affected` entries (one per release line, say).
    const matched = new Map();
    for (const entry of npmAffected) {
      for (const installed of byName.get(entry.package.name) ?? []) {
        const version = semver.valid(installed.version, { loose: true });
        if (version === null) {
          unparsable.add(`${installed.name}@${installed.version}`);
          continue;
        }
        if (!isAffected(semver, version, entry)) continue;
        const key = `${installed.name}@${installed.version}`;
        const seen = matched.get(key);
        if (seen) {
          seen.entries.push(entry);
        } else {
          matched.set(key, { installed, version, entries: [entry] });
        }
      }
    }
    for (const { installed, version, entries } of matched.values()) {
      const finding = {
        id: advisory.id,
        aliases: (advisory.aliases ?? []).filter((alias) => alias !== advisory.id),
        severity: rank === -1 ? 'UNRATED' : severity,
        summary: advisory.summary ?? '',
        package: installed.name,
        version: installed.version,
        production: installed.production,
        paths: installed.paths,
        via: lock.chainTo(installed.paths[0]),
        fixed: firstUnaffected(semver, version, npmAffected.filter((entry) => entry.package.name === installed.name)),
        affectedRanges: entries.map(describeRanges).join(' || '),
        file: path,
      };
      (rank === -1 ? unrated : findings).push(finding);
    }
  });

  if (stats.npmAdvisories === 0) {
    throw new UsageError(
      `No npm advisory found under ${options.database} (${stats.files} files read): not an advisory database, or the wrong folder. Nothing was audited.`,
    );
  }

  const order = (a, b) =>
    SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
    Number(b.production) - Number(a.production) ||
    a.package.localeCompare(b.package) ||
    a.id.localeCompare(b.id);
  findings.sort(order);
  unrated.sort(order);

  const report = {
    database: { path: source.path, mode: source.mode, ...source.provenance(), ...stats, unreadable: stats.unreadable.length },
    lockfile: {
      path: options.lockfile,
      lockfileVersion: lock.lockfileVersion,
      packages: lock.installs.size,
      production: [...lock.installs.values()].filter((p) => p.production).length,
    },
    minSeverity: options.minSeverity,
    findings,
    unrated,
    unparsableVersions: [...unparsable].sort(),
  };
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : textReport(report));
  return findings.length > 0 ? EXIT_FINDINGS : 0;
}

function readOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        lockfile: { type: 'string' },
        'min-severity': { type: 'string', default: 'high' },
        ref: { type: 'string', default: 'HEAD' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (positionals.length !== 1) throw new UsageError('Give exactly one advisory database path.');
  const minSeverity = values['min-severity'].toUpperCase();
  if (!SEVERITIES.includes(minSeverity)) throw new UsageError(`--min-severity must be one of ${SEVERITIES.join(', ').toLowerCase()}`);
  return {
    database: resolve(positionals[0]),
    lockfile: resolve(values.lockfile ?? join(REPO_ROOT, 'package-lock.json')),
    minSeverity,
    ref: values.ref,
    json: values.json,
  };
}

async function loadSemver() {
  try {
    return (await import('semver')).default;
  } catch {
    throw new UsageError('The `semver` package is not in node_modules: run `npm ci` first.');
  }
}

// ---------------------------------------------------------------------------------------------
// The lock file

/**
 * Every installed package of a lockfileVersion 2 or 3 lock file, one entry per name@version
 * with the node_modules paths it is installed at. Production: at least one of those paths is not
 * `dev`, npm's flag for what `npm ci --omit=dev` leaves out. `devOptional` (a dev dependency that
 * is also an optional one of the production tree) is installed by --omit=dev, so it is production.
 */
function readLockfile(path) {
  let lock;
  try {
    lock = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`Cannot read the lock file ${path}: ${error.message}`);
  }
  const packages = lock.packages;
  if (typeof packages !== 'object' || packages === null) {
    throw new UsageError(`${path} has no "packages" map (lockfileVersion ${lock.lockfileVersion}); lockfileVersion 2 or 3 is needed.`);
  }
  const installs = new Map();
  for (const [key, entry] of Object.entries(packages)) {
    if (key === '' || entry.link || typeof entry.version !== 'string') continue;
    const name = entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const production = entry.dev !== true;
    const id = `${name}@${entry.version}`;
    const seen = installs.get(id);
    if (seen) {
      // Production paths first: the chain reported for a finding is that of its first path.
      if (production && !seen.production) seen.paths.unshift(key);
      else seen.paths.push(key);
      seen.production ||= production;
    } else {
      installs.set(id, { name, version: entry.version, production, paths: [key] });
    }
  }
  return { lockfileVersion: lock.lockfileVersion, installs, chainTo: dependencyChains(packages) };
}

/**
 * How a node_modules path is reached from the project: the shortest chain of package names,
 * following dependencies the way Node resolves them (nearest node_modules first).
 */
function dependencyChains(packages) {
  const resolveFrom = (from, name) => {
    let base = from;
    for (;;) {
      const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (base === '') return undefined;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut === -1 ? '' : base.slice(0, cut);
    }
  };
  const parent = new Map([['', undefined]]);
  const queue = [''];
  while (queue.length > 0) {
    const key = queue.shift();
    const entry = packages[key] ?? {};
    const names = [entry.dependencies, entry.optionalDependencies, entry.peerDependencies, key === '' ? entry.devDependencies : undefined]
      .flatMap((deps) => Object.keys(deps ?? {}));
    for (const name of names) {
      const target = resolveFrom(key, name);
      if (target === undefined || parent.has(target)) continue;
      parent.set(target, key);
      queue.push(target);
    }
  }
  const nameOf = (key) => (key === '' ? (packages['']?.name ?? '(root)') : (packages[key].name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)));
  return (key) => {
    if (!parent.has(key)) return [];
    const chain = [];
    for (let at = key; at !== undefined; at = parent.get(at)) chain.unshift(nameOf(at));
    return chain;
  };
}

// ---------------------------------------------------------------------------------------------
// Matching (OSV schema, "affected[].ranges" and "affected[].versions": https://ossf.github.io/osv-schema/)

/** Whether `version` (valid semver) is affected by one `affected[]` entry. */
function isAffected(semver, version, entry) {
  if (Array.isArray(entry.versions) && entry.versions.some((listed) => semver.valid(listed, { loose: true }) === version)) return true;
  return (entry.ranges ?? []).some(
    (range) => (range.type === 'SEMVER' || range.type === 'ECOSYSTEM') && inRange(semver, version, sortedEvents(semver, range.events ?? [])),
  );
}

/**
 * The lowest version above `version` that the advisory's `fixed` (or `limit`) events name and
 * that none of its entries for the package affects; undefined when there is none (no fix yet,
 * or only `last_affected` is known).
 */
function firstUnaffected(semver, version, entries) {
  const candidates = entries
    .flatMap((entry) => (entry.ranges ?? []).flatMap((range) => range.events ?? []))
    .map((event) => event.fixed ?? event.limit)
    .filter((v) => v !== undefined && semver.valid(v, { loose: true }) !== null && semver.gt(v, version, { loose: true }))
    .sort((a, b) => semver.compare(a, b, { loose: true }));
  const clean = (candidate) => !entries.some((entry) => isAffected(semver, semver.valid(candidate, { loose: true }), entry));
  return candidates.find(clean);
}

/** Events in version order; `introduced: "0"` is below every version. Unparsable ones are dropped. */
function sortedEvents(semver, events) {
  const versionOf = (event) => event.introduced ?? event.fixed ?? event.last_affected ?? event.limit;
  const usable = events.filter((event) => {
    const v = versionOf(event);
    return v === '0' || (v !== undefined && semver.valid(v, { loose: true }) !== null);
  });
  return usable.sort((a, b) => {
    const va = versionOf(a);
    const vb = versionOf(b);
    if (va === '0' || vb === '0') return (va === '0' ? -1 : 0) - (vb === '0' ? -1 : 0);
    return semver.compare(va, vb, { loose: true });
  });
}

/** The OSV evaluation: walk the sorted events, switching "affected" on at introduced and off past a fix. */
function inRange(semver, version, events) {
  let affected = false;
  for (const event of events) {
    if (event.introduced !== undefined) {
      if (event.introduced === '0' || semver.gte(version, event.introduced, { loose: true })) affected = true;
    } else if (event.fixed !== undefined) {
      if (semver.gte(version, event.fixed, { loose: true })) affected = false;
    } else if (event.last_affected !== undefined) {
      if (semver.gt(version, event.last_affected, { loose: true })) affected = false;
    } else if (event.limit !== undefined) {
      if (semver.gte(version, event.limit, { loose: true })) affected = false;
    }
  }
  return affected;
}

/** The affected ranges as text, e.g. `>=4.0.0 <4.17.21`, for the report. */
function describeRanges(entry) {
  const parts = [];
  for (const range of entry.ranges ?? []) {
    let lower = '';
    for (const event of range.events ?? []) {
      if (event.introduced !== undefined) {
        lower = `>=${event.introduced}`;
        continue;
      }
      const upper = event.fixed !== undefined ? `<${event.fixed}` : event.last_affected !== undefined ? `<=${event.last_affected}` : `<${event.limit}`;
      parts.push(`${lower} ${upper}`.trim());
      lower = '';
    }
    if (lower !== '') parts.push(lower);
  }
  if (parts.length === 0 && Array.isArray(entry.versions)) parts.push(entry.versions.join(', '));
  return parts.join(' || ');
}

// ---------------------------------------------------------------------------------------------
// Reading the database

function openAdvisorySource(path, ref) {
  if (!existsSync(path)) throw new UsageError(`No such file or directory: ${path}`);
  if (!statSync(path).isDirectory()) throw new UsageError(`Not a directory: ${path}`);
  if (isBareGitDir(path)) return gitSource(path, ref);
  return folderSource(path);
}

function isBareGitDir(path) {
  if (!existsSync(join(path, 'objects')) || !existsSync(join(path, 'HEAD')) || existsSync(join(path, 'advisories'))) return false;
  return git(['--git-dir', path, 'rev-parse', '--is-bare-repository']) !== undefined;
}

function git(args) {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 }).trim();
  } catch {
    return undefined;
  }
}

/** A checkout (advisories/github-reviewed/ is read) or any folder of OSV JSON files (read whole). */
function folderSource(path) {
  const root = existsSync(join(path, REVIEWED)) ? join(path, REVIEWED) : path;
  return {
    path: root,
    mode: root === path ? 'folder' : 'checkout',
    provenance: () => {
      const commit = git(['-C', path, 'rev-parse', 'HEAD']);
      return commit === undefined ? { commit: undefined, commitDate: undefined } : { commit, commitDate: git(['-C', path, 'log', '-1', '--format=%cI', 'HEAD']) };
    },
    forEachFile: async (visit) => {
      const pending = [root];
      while (pending.length > 0) {
        const dir = pending.pop();
        for (const dirent of readdirSync(dir, { withFileTypes: true })) {
          const full = join(dir, dirent.name);
          if (dirent.isDirectory()) pending.push(full);
          else if (dirent.isFile() && dirent.name.endsWith('.json')) visit(relative(root, full), readFileSync(full, 'utf8'));
        }
      }
    },
  };
}

/** A git directory: the JSON blobs under advisories/github-reviewed at `ref`, streamed by `git cat-file --batch`. */
function gitSource(gitDir, ref) {
  const commit = git(['--git-dir', gitDir, 'rev-parse', '--verify', `${ref}^{commit}`]);
  if (commit === undefined) throw new UsageError(`${gitDir}: no commit ${ref}`);
  return {
    path: gitDir,
    mode: 'git',
    provenance: () => ({ commit, commitDate: git(['--git-dir', gitDir, 'log', '-1', '--format=%cI', commit]) }),
    forEachFile: async (visit) => {
      const listing = git(['--git-dir', gitDir, 'ls-tree', '-r', '--full-tree', commit, '--', REVIEWED.split('\\').join('/')]) ?? '';
      const blobs = [];
      for (const line of listing.split('\n')) {
        const match = /^\d+ blob ([0-9a-f]+)\t(.+\.json)$/.exec(line);
        if (match) blobs.push({ sha: match[1], path: match[2] });
      }
      if (blobs.length === 0) throw new UsageError(`${gitDir} at ${commit.slice(0, 12)} has no ${REVIEWED} folder.`);
      await catFiles(gitDir, blobs, visit);
    },
  };
}

function catFiles(gitDir, blobs, visit) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buffer = Buffer.alloc(0);
    let index = 0;
    child.stdout.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const eol = buffer.indexOf(0x0a);
        if (eol === -1) return;
        const header = buffer.subarray(0, eol).toString('latin1');
        const size = Number(/^[0-9a-f]+ blob (\d+)$/.exec(header)?.[1]);
        if (!Number.isInteger(size)) {
          child.kill();
          reject(new Error(`git cat-file: unexpected answer "${header}"`));
          return;
        }
        if (buffer.length < eol + 1 + size + 1) return;
        visit(blobs[index++].path, buffer.subarray(eol + 1, eol + 1 + size).toString('utf8'));
        buffer = buffer.subarray(eol + 1 + size + 1);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && index === blobs.length ? resolvePromise() : reject(new Error(`git cat-file exited ${code} after ${index} of ${blobs.length} files`))));
    child.stdin.end(blobs.map((blob) => blob.sha).join('\n') + '\n');
  });
}

// ---------------------------------------------------------------------------------------------
// The text report

function textReport(report) {
  const { database: db, lockfile, findings, unrated } = report;
  const lines = [];
  lines.push(`Offline npm audit, severity ${report.minSeverity} and above`);
  lines.push(`Advisory database: ${db.path} (${db.mode})`);
  lines.push(db.commit ? `  commit ${db.commit} of ${db.commitDate}` : '  commit: unknown (not a git checkout)');
  lines.push(`  ${db.files} files read, ${db.npmAdvisories} npm advisories (${db.withdrawn} withdrawn, skipped), newest modified ${db.newestModified}`);
  if (db.unreadable > 0) lines.push(`  ${db.unreadable} files were not JSON and were skipped`);
  lines.push(`Lock file: ${lockfile.path} (lockfileVersion ${lockfile.lockfileVersion}), ${lockfile.packages} packages, ${lockfile.production} of them production`);
  lines.push('');
  const prod = findings.filter((f) => f.production).length;
  lines.push(findings.length === 0 ? 'No finding.' : `${findings.length} finding(s), ${prod} in production dependencies:`);
  for (const f of findings) lines.push(...findingLines(f));
  if (unrated.length > 0) {
    lines.push('', `${unrated.length} match(es) of advisories without a severity (not counted):`);
    for (const f of unrated) lines.push(...findingLines(f));
  }
  if (report.unparsableVersions.length > 0) {
    lines.push('', `Not semver, not checked: ${report.unparsableVersions.join(', ')}`);
  }
  const counts = SEVERITIES.slice(SEVERITIES.indexOf(report.minSeverity))
    .reverse()
    .map((s) => `${s.toLowerCase()} ${findings.filter((f) => f.severity === s).length}`);
  lines.push('', `Summary: ${counts.join(', ')} (production ${prod}, dev ${findings.length - prod})`);
  return `${lines.join('\n')}\n`;
}

function findingLines(f) {
  const fix = f.fixed !== undefined ? `fixed in ${f.fixed}` : 'no fixed version in the advisory';
  return [
    '',
    `  ${f.severity.padEnd(8)} ${f.id}${f.aliases.length > 0 ? ` (${f.aliases.join(', ')})` : ''}`,
    `           ${f.package}@${f.version}  ${f.production ? 'PRODUCTION' : 'dev only'}  affected ${f.affectedRanges}; ${fix}`,
    `           ${f.summary}`,
    `           via ${f.via.length > 0 ? f.via.join(' > ') : f.paths[0]}${f.paths.length > 1 ? ` (+${f.paths.length - 1} more path(s))` : ''}`,
  ];
}

// exitCode, not process.exit(): writes to a pipe are asynchronous, and exiting at once would cut
// a report longer than the pipe's buffer (64 KiB) short. A reader that stops early (`| head`)
// closes the pipe: that is not a failure of the audit, and its exit status stands.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`offline-audit: ${error instanceof UsageError ? error.message : (error?.stack ?? String(error))}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
    process.exitCode = EXIT_USAGE;
  },
);
