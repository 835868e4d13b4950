import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLogLines } from './support/log-lines.js';
import { TEST_BROKER } from './support/test-broker.mjs';

/** The production entry point, `node dist/main.js`, as the container runs it (built by `npm test`). */
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** An `--import` hook that lists every module the process loads (support/loaded-modules.mjs). */
const LOADED_MODULES_HOOK = fileURLToPath(new URL('./support/loaded-modules.mjs', import.meta.url));

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runMain(env: Record<string, string>, whileRunning?: (port: number) => Promise<void>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env['PATH'] ?? '', KAFKA_BROKERS: TEST_BROKER, HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const port = /Listening on http:\/\/[^:]+:(\d+)/.exec(stdout)?.[1];
      if (port && whileRunning) {
        const check = whileRunning;
        whileRunning = undefined;
        check(Number(port)).then(
          () => child.kill('SIGTERM'),
          (error: unknown) => {
            child.kill('SIGKILL');
            reject(error);
          },
        );
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('node dist/main.js', () => {
  it.each([
    [{ PORT: 'http' }, 'PORT'],
    [{ DROPEA_SIGNATURE_MODE: 'required' }, 'DROPEA_API_KEYS'],
    [{ KAFKA_BROKERS: 'kafka' }, 'KAFKA_BROKERS'],
    [{ PUBLISH_TIMEOUT_MS: 'soon' }, 'PUBLISH_TIMEOUT_MS'],
    // SASL/PLAIN sends the password as it is: not over a connection without TLS, unless asked for.
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'relay', KAFKA_SASL_PASSWORD: 'secret' }, 'KAFKA_ALLOW_PLAIN_SASL_WITHOUT_TLS'],
  ])('refuses to start with %j, naming %s', async (env, variable) => {
    const exit = await runMain(env);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(exit.stderr).toContain(variable);
  });

  it('serves from env alone and exits 0 on SIGTERM', async () => {
    let live = 0;
    const exit = await runMain({ PORT: '0' }, async (port) => {
      live = (await fetch(`http://127.0.0.1:${port}/health/live`)).status;
    });
    expect(live).toBe(200);
    expect(exit.code).toBe(0);
  });

  it.each([
    ['127.0.0.1', '127.0.0.1', false],
    ['0.0.0.0', '0.0.0.0', true],
  ])('with HOST=%s logs the address it is bound to (%s) and each webhook URL; warns of all interfaces: %s', async (host, shown, warns) => {
    const exit = await runMain({ PORT: '0', HOST: host }, async () => undefined);
    expect(exit.code).toBe(0);
    const messages = jsonLogLines<{ level: string; msg: string }>(exit.stdout);
    const listening = messages.find((message) => message.msg.startsWith('Listening on '))!.msg;
    const port = new RegExp(`^Listening on http://${shown.replaceAll('.', '\\.')}:(\\d+)$`).exec(listening)?.[1];
    expect(port).toBeDefined();
    const routes = messages.find((message) => message.msg.startsWith('Webhook routes: '))!.msg;
    for (const route of ['/webhooks/dropea', '/webhooks/dropea/orders', '/webhooks/dropea/incidences']) {
      expect(routes).toContain(`POST http://${shown}:${port}${route}`);
    }
    const warning = messages.filter((message) => message.level === 'warn' && message.msg.includes('binds every interface'));
    expect(warning).toHaveLength(warns ? 1 : 0);
    if (warns) expect(warning[0]!.msg).toContain('HOST=127.0.0.1');
  });

  it('loads at start none of what it loads on demand, and of class-validator only the parts it uses', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'relay-modules-'));
    try {
      const file = join(directory, 'loaded.txt');
      const exit = await runMain({ PORT: '0', NODE_OPTIONS: `--import=${LOADED_MODULES_HOOK}`, LOADED_MODULES_FILE: file }, async () => undefined);
      expect(exit.code).toBe(0);
      const urls = readFileSync(file, 'utf8').split('\n');
      const packages = new Set(urls.map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]));
      // The hook sees `require` as well as `import`: kafkajs is loaded through `require`.
      expect(packages).toContain('kafkajs');
      expect(packages).toContain('class-validator');
      const onDemand = ['@nestjs/swagger', 'yaml', '@bufbuild/protobuf', '@fastify/rate-limit', '@fastify/ajv-compiler', 'ajv', '@fastify/fast-json-stringify-compiler', '@fastify/send', '@opentelemetry/sdk-node', 'libphonenumber-js'];
      expect(onDemand.filter((name) => packages.has(name))).toEqual([]);
      // Fastify's error serializer, built ahead of time, needs only fast-json-stringify's runtime part.
      expect(urls.filter((url) => url.endsWith('/node_modules/fast-json-stringify/index.js'))).toEqual([]);
      // The entry of class-validator loads every decorator and all of validator.js (validation/class-validator.ts).
      expect(urls.filter((url) => /\/node_modules\/class-validator\/cjs\/index\.js$/.test(url))).toEqual([]);
      expect(urls.filter((url) => url.includes('/node_modules/validator/')).length).toBeLessThan(5);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
