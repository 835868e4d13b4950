// Where a server's CPU time went, from V8 CPU profiles (`node --cpu-prof`, see docs/benchmarks.md,
// "Where the time goes"): each sample goes to the frame it was taken in, grouped by npm package,
// by folder of the relay's own code (`relay <folder>` for dist/<folder>), by Node.js module
// (node:<module>), or by V8's own entries ((garbage collector), (program)) and native functions.
// Self time only, as shares of the busy time ((idle) left out), so the shares add up to 100 %.
//
//   node bench/profile-summary.mjs [--skip-seconds 5] [--top 25] <file.cpuprofile>[=<µs>] ...
//
// With several files, one column each (before / after, relay / reference). `=<µs>` is the CPU
// one request cost that process, from the bench's table (server CPU % × 10,000 ÷ req/s): each
// group's share of it is printed beside its share.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { groupOf } from './profile-groups.mjs';
import { textTable } from './report.mjs';

const { values, positionals } = parseArgs({ options: { 'skip-seconds': { type: 'string', default: '5' }, top: { type: 'string', default: '25' } }, allowPositionals: true });
if (positionals.length === 0) {
  process.stderr.write('usage: node bench/profile-summary.mjs [--skip-seconds 5] [--top 25] <file.cpuprofile>[=<µs>] ...\n');
  process.exit(2);
}
const skipMicros = Number(values['skip-seconds']) * 1e6;

async function summarise(argument) {
  const [file, perRequest] = argument.split('=');
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const groups = new Map(profile.nodes.map((node) => [node.id, groupOf(node.callFrame)]));
  const micros = new Map();
  let elapsed = 0;
  let total = 0;
  profile.samples.forEach((id, index) => {
    elapsed += profile.timeDeltas[index];
    if (elapsed < skipMicros) return;
    const delta = profile.timeDeltas[index];
    if (groups.get(id) === '(idle)') return;
    micros.set(groups.get(id), (micros.get(groups.get(id)) ?? 0) + delta);
    total += delta;
  });
  return { file, perRequest: perRequest === undefined ? undefined : Number(perRequest), micros, total };
}

const columns = await Promise.all(positionals.map(summarise));
const names = [...new Set(columns.flatMap(({ micros }) => [...micros.keys()]))];
names.sort((a, b) => (columns[0].micros.get(b) ?? 0) - (columns[0].micros.get(a) ?? 0));
const cell = ({ micros, total, perRequest }, group) => {
  const share = group.reduce((sum, name) => sum + (micros.get(name) ?? 0), 0) / total;
  return `${(share * 100).toFixed(1)} %${perRequest === undefined ? '' : ` ${(share * perRequest).toFixed(1)} µs`}`;
};
const top = names.slice(0, Number(values.top));
const rest = names.slice(Number(values.top));
const rows = top.map((name) => [name, ...columns.map((column) => cell(column, [name]))]);
if (rest.length > 0) rows.push([`${rest.length} other groups`, ...columns.map((column) => cell(column, rest))]);
rows.push(['busy seconds profiled', ...columns.map(({ total }) => (total / 1e6).toFixed(1))]);
const header = ['group', ...columns.map((_, index) => `[${index + 1}]`)];
columns.forEach(({ file, perRequest }, index) => {
  process.stdout.write(`[${index + 1}] ${file}${perRequest === undefined ? '' : `, ${perRequest} µs of CPU per request`}\n`);
});
process.stdout.write(`${textTable(header, rows, new Set(columns.map((_, index) => index + 1)))}\n`);
