// What each runtime dependency adds to a Node.js process at rest (docs/benchmarks.md, Memory):
// for each one, a fresh process imports every other runtime dependency of package.json first,
// then that one, and compares RSS and V8's heap before and after (each read after two full
// collections). What is left is that package's own share: its code, the modules only it loads,
// and what they keep.
//
//   node bench/import-cost.mjs [package ...]      (all runtime dependencies by default)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const { dependencies } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// Not loaded by a relay at rest: the OpenTelemetry SDK only with tracing on (tracing/tracing-sdk.ts);
// @nestjs/swagger and yaml on the first request for the OpenAPI document (openapi/openapi-routes.ts);
// Fastify's schema compilers when a route declares a schema, which none does (http/schema-compilers.ts);
// of swagger-ui-dist only the path of its files (its main module would load Swagger UI's bundle),
// and @fastify/send on the first request for one of them; @bufbuild/protobuf only with
// ENVELOPE_FORMAT=protobuf (envelope/envelope-format.ts); @fastify/rate-limit only with
// RATE_LIMIT_MAX (http/rate-limit.ts).
const LOADED_ON_DEMAND = new Set([
  '@opentelemetry/sdk-node',
  '@nestjs/swagger',
  'yaml',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'swagger-ui-dist',
  '@fastify/send',
  '@bufbuild/protobuf',
  '@fastify/rate-limit',
]);
// Loaded by the relay in part, from what it imports instead of the package's entry (run `npm run build` first).
const AS_THE_RELAY_LOADS_IT = { 'class-validator': './dist/validation/class-validator.js' };
const all = Object.keys(dependencies).filter((name) => !LOADED_ON_DEMAND.has(name));
const measured = process.argv.length > 2 ? process.argv.slice(2) : all;

// Runs in the child: imports `others`, measures, imports `target`, measures again.
const CHILD = `
const [target, ...others] = JSON.parse(process.argv[1]);
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));
const read = () => { gc(); gc(); const { rss, heapUsed } = process.memoryUsage(); return { rss, heapUsed }; };
await import('reflect-metadata');
for (const name of others) await import(name);
await settle();
const before = read();
await import(target);
await settle();
const after = read();
process.stdout.write(JSON.stringify({ rss: after.rss - before.rss, heap: after.heapUsed - before.heapUsed }));
`;

const mb = (bytes) => (bytes / 1e6).toFixed(1);
const rows = [];
for (const target of measured) {
  const others = all.filter((name) => name !== target);
  const specifiers = [target, ...others].map((name) => AS_THE_RELAY_LOADS_IT[name] ?? name);
  const child = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', CHILD, JSON.stringify(specifiers)], { cwd: repoRoot, encoding: 'utf8' });
  if (child.status !== 0) {
    rows.push([target, 'failed', child.stderr.trim().split('\n').pop() ?? '']);
    continue;
  }
  const { rss, heap } = JSON.parse(child.stdout);
  rows.push([target, mb(rss), mb(heap)]);
}
rows.sort((a, b) => Number(b[1]) - Number(a[1]) || Number(b[2]) - Number(a[2]));
process.stdout.write(`Node ${process.version}; what importing each package adds after all the others (MB)\n\n`);
process.stdout.write('| package | RSS MB | heap used MB |\n|---|---:|---:|\n');
for (const [name, rss, heap] of rows) process.stdout.write(`| ${name} | ${rss} | ${heap} |\n`);
