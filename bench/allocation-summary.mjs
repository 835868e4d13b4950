// What a server allocated per request, by where, from profiles written by
// bench/allocation-sampling.mjs (docs/benchmarks.md, "Where the bytes go"). Each sampled byte
// goes to the frame that allocated it, grouped as bench/profile-summary.mjs groups CPU time: by
// npm package, by folder of the relay's dist/, by Node.js module, or V8's own entry.
//
//   node bench/allocation-summary.mjs [--top 20] <allocations.json> ...
//
// Bytes per request: the bytes sampled over the HTTP requests the server received meanwhile.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { groupOf } from './profile-groups.mjs';
import { textTable } from './report.mjs';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '20' } }, allowPositionals: true });
if (positionals.length === 0) {
  process.stderr.write('usage: node bench/allocation-summary.mjs [--top 20] <allocations.json> ...\n');
  process.exit(2);
}

async function summarise(file) {
  const { requests, profile } = JSON.parse(await readFile(file, 'utf8'));
  const bytes = new Map();
  let total = 0;
  const visit = (node) => {
    const group = groupOf(node.callFrame);
    bytes.set(group, (bytes.get(group) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return { file: basename(file), requests, bytes, total };
}

const columns = await Promise.all(positionals.map(summarise));
const perRequest = ({ bytes, requests }, name) => (bytes.get(name) ?? 0) / requests;
const names = [...new Set(columns.flatMap(({ bytes }) => [...bytes.keys()]))].sort((a, b) => perRequest(columns[0], b) - perRequest(columns[0], a));
const top = names.slice(0, Number(values.top));
const rest = names.slice(Number(values.top));
const cell = (column, group) => `${Math.round(group.reduce((sum, name) => sum + perRequest(column, name), 0)).toLocaleString('en-US')} B`;
const rows = top.map((name) => [name, ...columns.map((column) => cell(column, [name]))]);
if (rest.length > 0) rows.push([`${rest.length} other groups`, ...columns.map((column) => cell(column, rest))]);
rows.push(['all, per request', ...columns.map(({ total, requests }) => `${Math.round(total / requests).toLocaleString('en-US')} B`)]);
columns.forEach(({ file, requests }, index) => process.stdout.write(`[${index + 1}] ${file}, ${requests.toLocaleString('en-US')} requests sampled\n`));
const header = ['group (bytes allocated per request)', ...columns.map((_, index) => `[${index + 1}]`)];
process.stdout.write(`${textTable(header, rows, new Set(columns.map((_, index) => index + 1)))}\n`);
