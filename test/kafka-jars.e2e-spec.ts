import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './support/local-ports.js';
import { runProcess, type Run } from './support/run-process.js';

/**
 * scripts/kafka/fetch.sh as a newcomer's machine runs it: Node.js and Java, no Maven. It
 * downloads the jars pinned in scripts/kafka/jars.lock from Maven Central into a fresh
 * KAFKA_CACHE_DIR and checks each against its SHA-256; a local node:http server then stands in
 * for a repository that cannot be reached, answers 503, serves a damaged jar, or sits behind a
 * proxy. The lock itself is held to pom.xml, the one place that names the versions.
 */

const KAFKA = fileURLToPath(new URL('../scripts/kafka/', import.meta.url));
const LOCK = join(KAFKA, 'jars.lock');
const POM = join(KAFKA, 'pom.xml');
const FETCH = join(KAFKA, 'fetch.sh');
/** About 55 MB from Maven Central: seconds on a good link, minutes on a slow one. */
const DOWNLOAD_TIMEOUT_MS = 600_000;
/** What fetch.sh and Java need besides bash, node and java; each is linked in if the machine has it. */
const TOOLS = ['awk', 'cat', 'cksum', 'cp', 'cut', 'dirname', 'find', 'flock', 'head', 'ls', 'mkdir', 'mktemp', 'mv', 'rm', 'sed', 'sort', 'tail', 'tr', 'wc'];

interface LockedJar {
  readonly path: string;
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

function lockedJars(): LockedJar[] {
  return readFileSync(LOCK, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [path = '', sha256 = '', size = ''] = line.trim().split(/\s+/);
      return { path, name: basename(path), sha256, size: Number(size) };
    });
}

/** The pom's `<properties>` and its dependencies with `${…}` filled in. */
function pomDependencies(): { properties: Map<string, string>; dependencies: { group: string; artifact: string; version: string }[] } {
  const pom = readFileSync(POM, 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  const propertiesBlock = /<properties>([\s\S]*?)<\/properties>/.exec(pom)?.[1] ?? '';
  const properties = new Map([...propertiesBlock.matchAll(/<([\w.-]+)>\s*([^<\s]+)\s*<\/\1>/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
  const fill = (value: string) => value.replace(/\$\{([\w.-]+)\}/g, (_all, name: string) => properties.get(name) ?? `\${${name}}`);
  const dependencies = [...pom.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)].map((m) => {
    const tag = (name: string) => fill(new RegExp(`<${name}>\\s*([^<\\s]+)\\s*</${name}>`).exec(m[1] ?? '')?.[1] ?? '');
    return { group: tag('groupId'), artifact: tag('artifactId'), version: tag('version') };
  });
  return { properties, dependencies };
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resolves a program on this process's PATH, as the shell would. */
async function which(program: string): Promise<string | undefined> {
  const found = await runProcess('bash', ['-c', 'command -v "$0"', program], {});
  return found.code === 0 ? found.stdout.trim() : undefined;
}

/**
 * A folder holding only bash, node, java (unless `withJava` is false) and the coreutils the
 * scripts call. A PATH of whole system folders would not do: Debian's /usr/bin holds mvn
 * right beside java and bash.
 */
async function bareBin(root: string, withJava: boolean): Promise<string> {
  const bin = join(root, withJava ? 'bin' : 'bin-without-java');
  await mkdir(bin);
  const java = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin/java') : await which('java');
  const links = new Map<string, string | undefined>([
    ['bash', await which('bash')],
    ['node', process.execPath],
    ...(withJava ? [['java', java] as [string, string | undefined]] : []),
  ]);
  for (const tool of TOOLS) links.set(tool, await which(tool));
  for (const [name, target] of links) {
    if (target) await symlink(target, join(bin, name));
  }
  return bin;
}

/** The last line fetch.sh printed on stderr: the one that says what went wrong. */
function lastLine(run: Run): string {
  return run.stderr.trimEnd().split('\n').at(-1) ?? '';
}

/** What a test asks of the stand-in repository: the real bytes, or something else for a path. */
type Answer = (path: string, real: Buffer) => { status: number; body?: Buffer };

/**
 * A Maven repository on 127.0.0.1 that serves the jars fetched from Maven Central, by their
 * repository path under /maven2/, as `answer` decides. It also tunnels CONNECT requests to
 * itself, so it can play the proxy in front of a repository with any host name.
 */
class StandInRepository {
  readonly requests: string[] = [];
  answer: Answer = (_path, real) => ({ status: 200, body: real });
  private readonly server: Server;
  private readonly jars: Map<string, string>;

  constructor(libs: string) {
    this.jars = new Map(lockedJars().map((jar) => [jar.path, join(libs, jar.name)]));
    this.server = createServer((request, response) => void this.serve(request, response));
    this.server.on('connect', (_request: IncomingMessage, client, head: Buffer) => {
      const upstream = connect(this.port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/maven2`;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://repository').pathname.replace(/^\/maven2\//, '');
    this.requests.push(path);
    const file = this.jars.get(path);
    const real = file ? await readFile(file).catch(() => undefined) : undefined;
    if (!real) {
      response.writeHead(404).end();
      return;
    }
    const { status, body } = this.answer(path, real);
    response.writeHead(status, body ? { 'content-length': body.length } : {}).end(body);
  }
}

describe('scripts/kafka/jars.lock', () => {
  const jars = lockedJars();

  it('pins each jar by repository path, SHA-256 and size, one jar per file name', () => {
    expect(jars.length).toBeGreaterThan(50);
    for (const jar of jars) {
      expect(jar.path).toMatch(/^([\w.-]+\/){3,}[\w.-]+\.jar$/);
      expect(jar.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(jar.size).toBeGreaterThan(0);
    }
    expect(new Set(jars.map((jar) => jar.name)).size).toBe(jars.length);
  });

  it('holds every dependency of pom.xml at the version the pom names, and every Kafka artifact at kafka.version', () => {
    const { properties, dependencies } = pomDependencies();
    const kafkaVersion = properties.get('kafka.version');
    expect(kafkaVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(dependencies.length).toBeGreaterThan(0);
    const paths = new Set(jars.map((jar) => jar.path));
    for (const { group, artifact, version } of dependencies) {
      expect(version).toMatch(/^[\w.-]+$/);
      expect([...paths].filter((path) => path === `${group.replaceAll('.', '/')}/${artifact}/${version}/${artifact}-${version}.jar`)).toHaveLength(1);
    }
    const kafkaJars = jars.filter((jar) => jar.path.startsWith('org/apache/kafka/'));
    expect(kafkaJars.map((jar) => jar.path)).toContain(`org/apache/kafka/kafka_2.13/${kafkaVersion}/kafka_2.13-${kafkaVersion}.jar`);
    for (const jar of kafkaJars) expect(jar.path.split('/').at(-2)).toBe(kafkaVersion);
  });
});

describe('scripts/kafka/fetch.sh on a machine with Node.js and Java but no Maven', () => {
  let root: string;
  let bin: string;
  let cache: string;
  let fetched: Run;
  const jars = lockedJars();

  /** fetch.sh with only the bare PATH and the given settings in its environment. */
  function fetch(env: Record<string, string>, path = bin, timeoutMs = 120_000): Promise<Run> {
    return runProcess(join(path, 'bash'), [FETCH], { PATH: path, ...env }, timeoutMs);
  }

  function marker(cacheDir: string): string {
    return join(cacheDir, 'libs/.complete');
  }

  /** Nothing half done: no libs/, no marker, no scratch folder. */
  async function expectNothingLeft(cacheDir: string): Promise<void> {
    expect(existsSync(join(cacheDir, 'libs'))).toBe(false);
    expect((await readdir(cacheDir)).filter((name) => name.startsWith('.partial.'))).toEqual([]);
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'kafka-jars-'));
    bin = await bareBin(root, true);
    cache = join(root, 'cache');
    // A mirror, proxy or extra CA the machine is set up with applies here too, as it would to npm start.
    const passed = ['KAFKA_MAVEN_REPOSITORY', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS'].filter((name) => process.env[name]);
    fetched = await fetch({ KAFKA_CACHE_DIR: cache, ...Object.fromEntries(passed.map((name) => [name, process.env[name] ?? ''])) }, bin, DOWNLOAD_TIMEOUT_MS);
  }, DOWNLOAD_TIMEOUT_MS + 10_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('runs with a PATH on which mvn cannot be found', async () => {
    const found = await runProcess(join(bin, 'bash'), ['-c', 'command -v mvn; command -v node java bash'], { PATH: bin });
    expect(found.stdout.trim().split('\n')).toEqual([join(bin, 'node'), join(bin, 'java'), join(bin, 'bash')]);
  });

  it('fills the fresh KAFKA_CACHE_DIR with every jar of the lock, each with its SHA-256 and size, and writes the marker', async () => {
    expect({ code: fetched.code, stderr: lastLine(fetched) }).toMatchObject({ code: 0 });
    const libs = join(cache, 'libs');
    expect((await readdir(libs)).filter((name) => name.endsWith('.jar')).sort()).toEqual(jars.map((jar) => jar.name).sort());
    for (const jar of jars) {
      const bytes = await readFile(join(libs, jar.name));
      expect({ name: jar.name, size: bytes.length, sha256: sha256(bytes) }).toEqual({ name: jar.name, size: jar.size, sha256: jar.sha256 });
    }
    expect((await readFile(marker(cache), 'utf8')).trim()).not.toBe('');
    await expect(readdir(cache)).resolves.not.toContainEqual(expect.stringMatching(/^\.partial\./));
  });

  it('shows progress on stderr, bytes done of the total, a line per tenth when stderr is not a terminal', () => {
    const total = jars.reduce((sum, jar) => sum + jar.size, 0);
    const lines = fetched.stderr.split('\n').filter((line) => / \/ [\d.]+ MB \(\d+%\)$/.test(line));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(lines.at(-1)).toBe(`kafka: ${(total / 1e6).toFixed(1)} MB / ${(total / 1e6).toFixed(1)} MB (100%)`);
  });

  it('then finds the cache complete and asks no repository again', async () => {
    const again = await fetch({ KAFKA_CACHE_DIR: cache, KAFKA_MAVEN_REPOSITORY: `http://127.0.0.1:${await freePort()}/maven2` });
    expect(again).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it("loads the broker's classes from the cache: kafka-storage random-uuid prints a cluster id", async () => {
    const storage = await runProcess(join(bin, 'java'), ['-cp', `${join(cache, 'libs')}/*`, 'kafka.tools.StorageTool', 'random-uuid'], { PATH: bin });
    expect(storage.code).toBe(0);
    expect(storage.stdout.trim().split('\n').at(-1)).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  describe('against a repository that fails', () => {
    let repository: StandInRepository;

    /**
     * A copy of the full cache without one jar (the first whose name starts with `prefix`) and
     * with the marker of another lock, as a changed jars.lock leaves it; the stand-in repository
     * serves the real jars again and has seen no request yet.
     */
    async function cacheLacking(name: string, prefix: string): Promise<{ cacheDir: string; missing: (typeof jars)[number] }> {
      repository.requests.length = 0;
      repository.answer = (_path, real) => ({ status: 200, body: real });
      const cacheDir = join(root, name);
      await cp(cache, cacheDir, { recursive: true });
      const missing = jars.find((jar) => jar.name.startsWith(prefix)) ?? jars[0]!;
      await unlink(join(cacheDir, 'libs', missing.name));
      await writeFile(marker(cacheDir), 'the marker of another jars.lock\n');
      return { cacheDir, missing };
    }

    beforeAll(async () => {
      repository = new StandInRepository(join(cache, 'libs'));
      await repository.listen();
    });

    afterAll(async () => {
      await repository.close();
    });

    it('that cannot be reached: fails within seconds with one line naming the URL and what to do, and leaves no marker', async () => {
      const port = await freePort();
      const cacheDir = join(root, 'unreachable');
      const started = Date.now();
      const run = await fetch({ KAFKA_CACHE_DIR: cacheDir, KAFKA_MAVEN_REPOSITORY: `http://127.0.0.1:${port}/maven2` });
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(run.code).toBe(1);
      const line = lastLine(run);
      expect(line).toMatch(new RegExp(`^kafka: cannot reach the Maven repository http://127\\.0\\.0\\.1:${port}/maven2 \\(connection refused, 3 tries: http://127\\.0\\.0\\.1:${port}/maven2/[\\w./-]+\\.jar\\)\\. `));
      expect(line).toContain('Check the network or proxy (HTTPS_PROXY)');
      expect(line).toContain('set KAFKA_MAVEN_REPOSITORY to a reachable mirror');
      expect(line).toContain('set KAFKA_CACHE_DIR to a folder whose libs/ already holds these jars');
      await expectNothingLeft(cacheDir);
    });

    it('that answers 503: asks three times, then fails with the same advice and the status', async () => {
      repository.requests.length = 0;
      repository.answer = () => ({ status: 503 });
      const cacheDir = join(root, 'unavailable');
      const run = await fetch({ KAFKA_CACHE_DIR: cacheDir, KAFKA_MAVEN_REPOSITORY: repository.url });
      expect(run.code).toBe(1);
      const failed = /\(HTTP 503 Service Unavailable, 3 tries: http:\/\/127\.0\.0\.1:\d+\/maven2\/([\w./-]+\.jar)\)/.exec(lastLine(run));
      expect(failed).not.toBeNull();
      expect(repository.requests.filter((path) => path === failed?.[1])).toHaveLength(3);
      expect(lastLine(run)).toContain('set KAFKA_MAVEN_REPOSITORY to a reachable mirror');
      await expectNothingLeft(cacheDir);
    });

    it('that serves a damaged jar: deletes it and fails naming the jar with the expected and actual SHA-256, and leaves no marker', async () => {
      const damaged = jars.find((jar) => jar.name.startsWith('kafka-server-common-')) ?? jars[0]!;
      let servedDigest = '';
      repository.answer = (path, real) => {
        if (path !== damaged.path) return { status: 200, body: real };
        const body = Buffer.from(real);
        body[body.length >> 1]! ^= 0xff;
        servedDigest = sha256(body);
        return { status: 200, body };
      };
      const cacheDir = join(root, 'damaged');
      const run = await fetch({ KAFKA_CACHE_DIR: cacheDir, KAFKA_MAVEN_REPOSITORY: repository.url });
      expect(run.code).toBe(1);
      expect(servedDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(lastLine(run)).toBe(
        `kafka: ${damaged.name} from ${repository.url}/${damaged.path} has SHA-256 ${servedDigest} (${damaged.size} bytes), but jars.lock expects ${damaged.sha256} (${damaged.size} bytes); deleted it. ` +
          'The download was damaged or the repository serves another file: try again, or set KAFKA_MAVEN_REPOSITORY to another mirror.',
      );
      await expectNothingLeft(cacheDir);
    });

    it('after a change of the lock (a marker of another lock), downloads only the jars the cache lacks, and writes the marker', async () => {
      const { cacheDir, missing } = await cacheLacking('changed', 'kafka-clients-');
      const run = await fetch({ KAFKA_CACHE_DIR: cacheDir, KAFKA_MAVEN_REPOSITORY: repository.url });
      expect(run.stderr).toContain(`kafka: ${jars.length - 1} of ${jars.length} jars already in the cache`);
      expect(run.code).toBe(0);
      expect(repository.requests).toEqual([missing.path]);
      expect(sha256(await readFile(join(cacheDir, 'libs', missing.name)))).toBe(missing.sha256);
      expect(await readFile(marker(cacheDir), 'utf8')).toBe(await readFile(marker(cache), 'utf8'));
    });

    it('behind a proxy: with HTTP_PROXY set, a Node.js that reads it (22.21+, 24+) sends every request through the proxy', async () => {
      const { cacheDir, missing } = await cacheLacking('proxied', 'jspecify-');
      // No such host: only the proxy (the stand-in, which tunnels to itself) can answer for it.
      const run = await fetch({ KAFKA_CACHE_DIR: cacheDir, KAFKA_MAVEN_REPOSITORY: 'http://maven.invalid/maven2', HTTP_PROXY: `http://127.0.0.1:${repository.port}` });
      const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
      if (major >= 24 || (major === 22 && minor >= 21)) {
        expect(run.code).toBe(0);
        expect(repository.requests).toEqual([missing.path]);
      } else {
        expect(lastLine(run)).toContain('(DNS lookup of maven.invalid failed');
        expect(repository.requests).toEqual([]);
      }
    });

    it('without Java: one line saying what to install, before any download', async () => {
      repository.requests.length = 0;
      const noJava = await bareBin(root, false);
      const cacheDir = join(root, 'no-java');
      const run = await fetch({ KAFKA_CACHE_DIR: cacheDir, KAFKA_MAVEN_REPOSITORY: repository.url }, noJava);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('kafka: java not found: install a JDK 17+ (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME\n');
      expect(repository.requests).toEqual([]);
      expect(existsSync(cacheDir)).toBe(false);
    });
  });
});
