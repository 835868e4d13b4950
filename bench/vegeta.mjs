// vegeta (https://github.com/tsenart/vegeta), the open-loop load generator of the fixed-rate
// phase: it sends at the rate asked for whatever the answers do, so a slow answer cannot hold
// back the next request (no coordinated omission). Built once from the Go module proxy into the
// cache folder the local Kafka jars use.
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const VEGETA_MODULE = 'github.com/tsenart/vegeta/v12';
export const VEGETA_VERSION = 'v12.13.0';

/** The path of the vegeta binary, installing it with `go install` the first time. */
export async function ensureVegeta({ say = () => {} } = {}) {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  const bin = join(cache, 'dropea-relay', `vegeta-${VEGETA_VERSION}`);
  const path = join(bin, 'vegeta');
  try {
    await access(path);
    return path;
  } catch {
    say(`installing vegeta ${VEGETA_VERSION} with go install into ${bin}`);
  }
  try {
    await run('go', ['install', `${VEGETA_MODULE}@${VEGETA_VERSION}`], {
      env: { ...process.env, GOBIN: bin, GOFLAGS: '-mod=mod' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    throw new Error(`could not install vegeta (needs Go): ${error.stderr || error.message}`);
  }
  return path;
}
