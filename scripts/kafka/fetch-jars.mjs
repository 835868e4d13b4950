// Downloads the jars named in jars.lock from a Maven repository into one folder, and checks
// each against the size and SHA-256 the lock holds for it. fetch.sh runs it inside the cache
// lock, on a scratch folder that it moves into place once this succeeds.
//
//   node fetch-jars.mjs <jars.lock> <into folder> [<folder of jars to reuse>]
//
// A jar whose file name, size and SHA-256 match in the reuse folder (the previous cache) is
// linked or copied instead of downloaded, so a changed lock only downloads what changed.
// KAFKA_MAVEN_REPOSITORY is the repository's base URL, in the Maven 2 layout
// (https://maven.apache.org/repositories/layout.html), as on https://repo1.maven.org/maven2. Plain JavaScript on Node's standard library only: it runs
// before anything is installed. Failures print one line on stderr and exit 1.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const DEFAULT_REPOSITORY = 'https://repo1.maven.org/maven2';
/** Jars downloaded at once: enough to hide round trips, few enough for a slow link. */
const PARALLEL = 4;
/** Further tries after a network error or a 5xx answer, and the pause before each. */
const RETRY_DELAYS_MS = [500, 1500];
/** No answer to a request, or no bytes of a body, for this long counts as unreachable. */
const STALL_MS = 30_000;

/**
 * A failure worth one line to the user. `unreachable`: the repository did not answer (or only
 * with 5xx), worth a retry and then the what-to-do advice; `refused`: it answered 4xx.
 */
class FetchError extends Error {
  constructor(message, kind = 'other') {
    super(message);
    this.kind = kind;
  }
}

const LINE = /^(\S+)\s+([0-9a-f]{64})\s+([0-9]+)$/;
// A repository path: group/artifact/version/file.jar, no `..`, nothing a URL would reinterpret.
const PATH = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]*\/){3,}[A-Za-z0-9_][A-Za-z0-9._-]*\.jar$/;

/** The lock's entries: `path sha256 size` per line; `#` starts a comment line. */
function parseLock(text, source) {
  const jars = [];
  const names = new Set();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = LINE.exec(line);
    if (!match || !PATH.test(match[1]) || match[1].split('/').includes('..')) {
      throw new FetchError(`${source}:${index + 1} is not "<repository path of a .jar> <sha256> <size>": ${line}`);
    }
    const [, path, sha256, size] = match;
    const name = basename(path);
    if (names.has(name)) throw new FetchError(`${source}:${index + 1}: a second jar named ${name}`);
    names.add(name);
    jars.push({ path, name, sha256, size: Number(size) });
  });
  if (jars.length === 0) throw new FetchError(`${source} lists no jars`);
  return jars;
}

function megabytes(bytes) {
  return bytes < 1e6 ? `${Math.ceil(bytes / 1e3)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function jarCount(count) {
  return `${count} jar${count === 1 ? '' : 's'}`;
}

/**
 * Bytes done of the total on stderr: one line rewritten in place on a terminal (at most ten
 * times a second), otherwise a line per tenth, so that CI logs stay short.
 */
function progress(total) {
  const tty = process.stderr.isTTY === true;
  let done = 0;
  let shownTenth = 0;
  let shownAt = 0;
  const text = () => `kafka: ${megabytes(done)} / ${megabytes(total)} (${Math.floor((done / total) * 100)}%)`;
  return {
    add(bytes) {
      done += bytes;
      if (tty) {
        const now = Date.now();
        if (now - shownAt >= 100 || done === total) {
          shownAt = now;
          process.stderr.write(`\r${text()}\x1b[K`);
        }
        return;
      }
      const tenth = Math.floor((done / total) * 10);
      if (tenth > shownTenth) {
        shownTenth = tenth;
        process.stderr.write(`${text()}\n`);
      }
    },
    end() {
      if (tty && shownAt > 0) process.stderr.write('\n');
    },
  };
}

/** What went wrong on the network, in words (undici puts the system error in `cause`). */
function describeNetworkError(error, url) {
  const cause = error?.cause ?? error;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup of ${new URL(url).hostname} failed`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      // Typical of a proxy that re-signs TLS with its own CA, which Node.js trusts only when told.
      return `TLS: ${cause.message}; if a proxy re-signs TLS, set NODE_EXTRA_CA_CERTS to its CA file`;
    default:
      return code ? `${code}: ${cause.message}` : String(cause?.message ?? cause);
  }
}

/**
 * One attempt at one jar: streams it into `file` while hashing, and aborts when the repository
 * goes quiet for STALL_MS. Returns the SHA-256 and size of what was written.
 */
async function downloadOnce(url, file, stop, onBytes) {
  const attempt = new AbortController();
  const abort = () => attempt.abort();
  stop.addEventListener('abort', abort);
  let stalled = false;
  let timer;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      attempt.abort();
    }, STALL_MS);
  };
  let written = 0;
  try {
    arm();
    let response;
    try {
      response = await fetch(url, { signal: attempt.signal, redirect: 'follow' });
    } catch (error) {
      if (stop.aborted) throw error;
      const why = stalled ? `no answer within ${STALL_MS / 1000} s` : describeNetworkError(error, url);
      throw new FetchError(why, 'unreachable');
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
      throw new FetchError(status, response.status >= 500 || response.status === 429 ? 'unreachable' : 'refused');
    }
    const hash = createHash('sha256');
    const count = new Transform({
      transform(chunk, _encoding, callback) {
        arm();
        hash.update(chunk);
        written += chunk.length;
        onBytes(chunk.length);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(response.body), count, createWriteStream(file));
    } catch (error) {
      if (stop.aborted) throw error;
      if (error?.syscall === 'open' || error?.code === 'ENOSPC' || error?.code === 'EACCES') {
        throw new FetchError(`cannot write ${file}: ${error.message}`);
      }
      const why = stalled ? `no data for ${STALL_MS / 1000} s` : describeNetworkError(error, url);
      throw new FetchError(`${why} during the download`, 'unreachable');
    }
    return { sha256: hash.digest('hex'), size: written };
  } catch (error) {
    onBytes(-written);
    throw error;
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', abort);
  }
}

/** Downloads one jar into `into`, retrying network errors and 5xx, then checks its digest. */
async function download(jar, repository, into, stop, shown) {
  const url = `${repository}/${jar.path}`;
  const file = join(into, `${jar.name}.part`);
  for (let attempt = 0; !stop.aborted; attempt += 1) {
    try {
      const got = await downloadOnce(url, file, stop, (bytes) => shown.add(bytes));
      if (got.sha256 !== jar.sha256) {
        await rm(file, { force: true });
        throw new FetchError(
          `${jar.name} from ${url} has SHA-256 ${got.sha256} (${got.size} bytes), but jars.lock expects ${jar.sha256} (${jar.size} bytes); deleted it. ` +
            'The download was damaged or the repository serves another file: try again, or set KAFKA_MAVEN_REPOSITORY to another mirror.',
        );
      }
      await rename(file, join(into, jar.name));
      return;
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      const kind = error instanceof FetchError ? error.kind : 'other';
      if (kind !== 'unreachable' || delay === undefined || stop.aborted) {
        if (kind === 'unreachable') {
          const tries = attempt + 1;
          throw new FetchError(
            `cannot reach the Maven repository ${repository} (${error.message}${tries > 1 ? `, ${tries} tries` : ''}: ${url}). ` +
              'Check the network or proxy (HTTPS_PROXY), or set KAFKA_MAVEN_REPOSITORY to a reachable mirror, ' +
              'or set KAFKA_CACHE_DIR to a folder whose libs/ already holds these jars.',
          );
        }
        if (kind === 'refused') {
          throw new FetchError(
            `${url} answered ${error.message}: the repository ${repository} does not serve ${jar.path}; ` +
              `KAFKA_MAVEN_REPOSITORY must be a Maven 2 repository or mirror of Maven Central (default ${DEFAULT_REPOSITORY}).`,
          );
        }
        throw error;
      }
      await sleep(delay, undefined, { signal: stop }).catch(() => {});
    }
  }
}

async function sha256OfFile(file) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Takes the jar from the previous cache when it is the very same file; true if it did. */
async function reuse(jar, from, into) {
  if (!from) return false;
  const old = join(from, jar.name);
  try {
    if ((await stat(old)).size !== jar.size || (await sha256OfFile(old)) !== jar.sha256) return false;
  } catch {
    return false;
  }
  const target = join(into, jar.name);
  // A hard link costs nothing; the old folder is removed once the new one is in place.
  await link(old, target).catch(() => copyFile(old, target));
  return true;
}

async function main([lockFile, into, reuseFrom]) {
  if (!lockFile || !into) throw new FetchError('usage: node fetch-jars.mjs <jars.lock> <into folder> [<folder to reuse jars from>]');
  if (typeof fetch !== 'function') throw new FetchError(`Node.js ${process.version} has no fetch(); use Node.js 18 or newer`);
  const repository = (process.env.KAFKA_MAVEN_REPOSITORY || DEFAULT_REPOSITORY).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(repository)) {
    throw new FetchError(`KAFKA_MAVEN_REPOSITORY must be an http(s) URL, got '${repository}'`);
  }
  const jars = parseLock(await readFile(lockFile, 'utf8'), lockFile);

  const missing = [];
  for (const jar of jars) {
    if (!(await reuse(jar, reuseFrom, into))) missing.push(jar);
  }
  if (missing.length < jars.length) {
    process.stderr.write(`kafka: ${jars.length - missing.length} of ${jarCount(jars.length)} already in the cache\n`);
  }
  if (missing.length === 0) return;

  const total = missing.reduce((sum, jar) => sum + jar.size, 0);
  process.stderr.write(`kafka: downloading ${jarCount(missing.length)} (${megabytes(total)}) from ${repository}\n`);
  const shown = progress(total);
  // The first failure stops the others, so that it is the one line the user reads.
  const stop = new AbortController();
  let failure;
  const queue = [...missing].sort((a, b) => b.size - a.size);
  const worker = async () => {
    for (let jar = queue.shift(); jar && !stop.signal.aborted; jar = queue.shift()) {
      try {
        await download(jar, repository, into, stop.signal, shown);
      } catch (error) {
        if (!stop.signal.aborted) {
          failure = error;
          stop.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, missing.length) }, worker));
  shown.end();
  if (failure) throw failure;
}

main(process.argv.slice(2)).catch((error) => {
  const message = error instanceof FetchError ? error.message : (error?.stack ?? String(error));
  process.stderr.write(`kafka: ${message}\n`);
  process.exitCode = 1;
});
