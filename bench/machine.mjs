// What the figures were measured on: hardware, runtimes, library versions, and the commit.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

function quiet(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options }).trim();
  } catch (error) {
    return (error.stderr ?? '').toString().trim() || null;
  }
}

function packageVersion(require, name) {
  try {
    return JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
  } catch {
    return null;
  }
}

/** `loadAverage`: os.loadavg() taken when the run began, before it started anything. */
export function machineInfo(repoRoot, { java, kafkaVersion, loadAverage } = {}) {
  const require = createRequire(`${repoRoot}/package.json`);
  const platformRequire = createRequire(require.resolve('@nestjs/platform-fastify/package.json'));
  const cpus = os.cpus();
  // java -version writes to stderr.
  const javaVersion = java ? (spawnSync(java, ['-version'], { encoding: 'utf8' }).stderr?.split('\n')[0]?.trim() || null) : null;
  const dirty = quiet('git', ['status', '--porcelain'], { cwd: repoRoot });
  return {
    cpuModel: cpus[0]?.model ?? null,
    cores: os.availableParallelism?.() ?? cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: (loadAverage ?? os.loadavg()).map((value) => Math.round(value * 100) / 100),
    node: process.version,
    java: javaVersion,
    kafka: kafkaVersion ?? null,
    packages: {
      '@nestjs/core': packageVersion(require, '@nestjs/core'),
      fastify: packageVersion(platformRequire, 'fastify'),
      kafkajs: packageVersion(require, 'kafkajs'),
      autocannon: packageVersion(require, 'autocannon'),
    },
    git: {
      commit: quiet('git', ['rev-parse', 'HEAD'], { cwd: repoRoot }),
      branch: quiet('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: repoRoot }),
      uncommitted: dirty ? dirty.split('\n') : [],
    },
  };
}
