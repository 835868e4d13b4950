// Tables of a bench result, as aligned text for the terminal and as Markdown for
// docs/benchmarks.md. Also a command, to print the Markdown of a stored result again:
//
//   node bench/report.mjs bench/results/<timestamp>.json
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { median } from './rounds.mjs';

const integer = (value) => (value === null || value === undefined ? '–' : Math.round(value).toLocaleString('en-US'));
const ms = (value) => {
  if (value === null || value === undefined) return '–';
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
};
const oneDecimal = (value) => (value === null || value === undefined ? '–' : value.toFixed(1));

function errorsCell(load) {
  if (!load.errors) return '0';
  return load.timeouts ? `${load.errors} (${load.timeouts} timeouts)` : String(load.errors);
}

function non2xxCell(load) {
  const entries = Object.entries(load.non2xx ?? {});
  if (entries.length === 0) return '0';
  return entries.map(([status, count]) => `${count}×${status}`).join(', ');
}

const HEADERS = [
  'phase',
  'target',
  'req/s',
  'req/s by round',
  'relay ÷ reference',
  'relay ÷ ceiling',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'errors',
  'non-2xx',
  'lost',
  'server peak RSS MB',
  'server CPU %',
  'server CPU µs / request',
  'load gen CPU %',
  'broker CPU %',
];
const RIGHT_ALIGNED = new Set([2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16]);
const TARGET_NAMES = { relay: 'relay', reference: 'reference', ceiling: 'http ceiling' };
const ratio = (value) => (value === null || value === undefined ? '' : value.toFixed(2));

function byRoundCell(phase, target) {
  const loads = phase.rounds?.[target];
  if (!loads || loads.length < 2) return '';
  return loads.map((load) => integer(load?.requestsPerSecond)).join('; ');
}

/** CPU µs one request cost the server: its CPU % × 10,000 ÷ req/s (100 % is one core for a second). */
function cpuPerRequest(load) {
  const cpu = load?.resources?.server?.cpuPercent;
  return cpu === null || cpu === undefined || !load.requestsPerSecond ? null : (cpu * 10_000) / load.requestsPerSecond;
}

// With rounds, the median of each round's figure (a round's CPU and rate belong together).
function cpuPerRequestCell(phase, target) {
  const loads = phase.rounds?.[target];
  return integer(loads?.length ? median(loads.map(cpuPerRequest)) : cpuPerRequest(phase[target]));
}

// Acknowledged (202) in the phase's measured windows but not found in Kafka; only for the
// targets that publish, and only when the read-back ran (older results: not per phase).
function lostCell(load) {
  return load.readBack ? integer(load.readBack.lost) : '';
}

function phaseRows(result) {
  const rows = [];
  for (const phase of result.phases ?? []) {
    for (const target of ['relay', 'reference', 'ceiling']) {
      const load = phase[target];
      if (!load) continue;
      const resources = load.resources ?? {};
      rows.push([
        phase.name,
        TARGET_NAMES[target],
        integer(load.requestsPerSecond),
        byRoundCell(phase, target),
        target === 'relay' ? ratio(phase.referenceRatio) : '',
        target === 'relay' ? ratio(phase.ratio) : '',
        ms(load.latencyMs?.p50),
        ms(load.latencyMs?.p90),
        ms(load.latencyMs?.p99),
        errorsCell(load),
        non2xxCell(load),
        lostCell(load),
        oneDecimal(resources.server?.peakRssMb),
        oneDecimal(resources.server?.cpuPercent),
        cpuPerRequestCell(phase, target),
        oneDecimal(resources.loadgen?.cpuPercent),
        target === 'ceiling' ? '' : oneDecimal(resources.broker?.cpuPercent),
      ]);
    }
  }
  return rows;
}

function markdownTable(headers, rows, rightAligned = new Set()) {
  const escape = (cell) => String(cell).replaceAll('|', '\\|');
  const lines = [`| ${headers.map(escape).join(' | ')} |`, `|${headers.map((_, i) => (rightAligned.has(i) ? '---:' : '---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(escape).join(' | ')} |`);
  return lines.join('\n');
}

/** Aligned columns, a line of dashes under the headers; the columns in `rightAligned` (indices) to the right. */
export function textTable(headers, rows, rightAligned = new Set()) {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => cells.map((cell, i) => (rightAligned.has(i) ? String(cell).padStart(widths[i]) : String(cell).padEnd(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function producerLine(pp) {
  if (!pp) return null;
  if (pp.error) return `Kafka ProducerPerformance: failed (${pp.error})`;
  const t = pp.total;
  let line =
    `Kafka ProducerPerformance (${integer(pp.records)} records of ${pp.recordSize} B, acks=all, idempotent, ${pp.partitions} partitions, as fast as it can): ` +
    `${integer(t.recordsPerSec)} records/s (${t.mbPerSec} MB/s); latency avg ${ms(t.avgLatencyMs)} ms, p50 ${t.p50Ms}, p95 ${t.p95Ms}, p99 ${t.p99Ms}, max ${ms(t.maxLatencyMs)} ms`;
  if (pp.steadyState) line += `; steady state after the first ${integer(pp.warmupRecords)}: ${integer(pp.steadyState.recordsPerSec)} records/s`;
  return line;
}

function verificationLine(v, who) {
  if (!v) return null;
  const label = who ? `Read back from Kafka, ${who}` : 'Read back from Kafka';
  if (v.error) return `${label}: failed (${v.error})`;
  return (
    `${label}: ${integer(v.accepted)} answered 202, ${integer(v.found)} found, ${integer(v.missing)} missing (lost), ` +
    `${integer(v.orderViolations)} order violations (per key), ${integer(v.duplicates)} duplicates, ${integer(v.mismatched)} mismatched; ` +
    `${integer(v.notAnsweredButInKafka)} more records whose answer was not seen (in flight when a phase ended); dead letters ${integer(v.dlqRecords)}` +
    `${v.ok ? '' : ' — CHECK FAILED'}`
  );
}

/** One line per target that publishes; older results have one verification, of the relay. */
function verificationLines(result) {
  const v = result.verification;
  if (!v) return [];
  if ('accepted' in v || 'error' in v) return [verificationLine(v)];
  const rounds = result.rounds ?? 1;
  return Object.entries(v).map(([target, one]) => verificationLine(one, `${TARGET_NAMES[target] ?? target}${rounds > 1 ? `, all ${rounds} rounds` : ''}`));
}

function exitLines(result) {
  if (result.relay?.exit) {
    const exit = result.relay.exit;
    return [`Relay stopped with SIGTERM: exit ${exit.code ?? exit.signal}${exit.killed ? ' (had to be killed)' : ''}`];
  }
  const lines = [];
  for (const target of ['relay', 'reference']) {
    const records = result.servers?.[target];
    if (!records?.length) continue;
    const exits = records.map(({ exit }) => (exit ? `${exit.code ?? exit.signal}${exit.killed ? ' (killed)' : ''}` : '?'));
    const name = target === 'relay' ? 'Relay' : 'Reference relay';
    lines.push(`${name} stopped with SIGTERM: exit ${exits.join(', ')}${records.length > 1 ? ` (rounds 1–${records.length})` : ''}`);
  }
  return lines;
}

function roundsLine(result) {
  const rounds = result.rounds ?? 1;
  const alternated = (result.targets ?? []).filter((target) => target === 'relay' || target === 'reference');
  if (rounds < 2 || alternated.length === 0 || !result.phases?.length) return null;
  return (
    `${alternated.map((target) => TARGET_NAMES[target]).join(' and ')}: ${rounds} rounds each${alternated.length > 1 ? ', alternated' : ''}, every round a fresh process; ` +
    `req/s, latencies, RSS and CPU are the medians of the rounds, errors, non-2xx and lost their totals` +
    `${result.targets.includes('ceiling') ? '; the http ceiling ran once' : ''}`
  );
}

function runtimeLine(result) {
  const runtime = result.serverRuntime;
  if (!runtime) return null;
  const publishing = (result.targets ?? []).filter((target) => target === 'relay' || target === 'reference').map((target) => TARGET_NAMES[target]);
  return (
    `Servers ran on Node ${runtime.node} (the bench's own node, ${runtime.execPath})` +
    (publishing.length > 0 ? `; ${settingsOf(runtime)} for the ${publishing.join(' and the ')}` : '')
  );
}

/** The servers' runtime settings; a run that set GLIBC_TUNABLES empty, or older results, have none. */
function settingsOf(runtime) {
  const settings = [`NODE_OPTIONS=${runtime.nodeOptions}`];
  if (runtime.glibcTunables) settings.push(`GLIBC_TUNABLES=${runtime.glibcTunables}`);
  return settings.join(' and ');
}

function machineLine(m) {
  if (!m) return null;
  const commit = m.git?.commit ? `${m.git.commit.slice(0, 12)}${m.git.uncommitted?.length ? ' (with uncommitted changes)' : ''}` : 'unknown';
  return `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB; ${m.os}; Node ${m.node}; ${m.java ?? 'Java ?'}; Kafka ${m.kafka ?? '?'}; commit ${commit}`;
}

function soakRows(soak) {
  return soak.progress.map((point) => [`${point.percent} %`, integer(point.completed), oneDecimal(point.seconds), oneDecimal(point.rssMb)]);
}

function soakSummary(soak) {
  const l = soak.load;
  return (
    `Soak: ${integer(soak.requests)} requests at ${soak.connections} connections in ${oneDecimal(l.elapsedSeconds)} s: ${integer(l.requestsPerSecond)} req/s, ` +
    `p50 ${ms(l.latencyMs?.p50)} / p90 ${ms(l.latencyMs?.p90)} / p99 ${ms(l.latencyMs?.p99)} ms, errors ${errorsCell(l)}, non-2xx ${non2xxCell(l)}; ` +
    `relay RSS ${oneDecimal(soak.rssBeforeMb)} MB idle before, peak ${oneDecimal(soak.resources?.server?.peakRssMb)} MB, ${oneDecimal(soak.rssAfterMb)} MB idle after; relay CPU ${oneDecimal(soak.resources?.server?.cpuPercent)} %`
  );
}

function footer(result) {
  const lines = [roundsLine(result), producerLine(result.producerPerformance), ...verificationLines(result), ...exitLines(result)];
  const signedDuringLoad = (result.phases ?? [])
    .flatMap((phase) => [phase.relay, phase.reference, phase.ceiling])
    .reduce((sum, load) => sum + (load?.signedDuringLoad ?? 0), 0);
  if (signedDuringLoad > 0) lines.push(`Requests signed during measured load, beyond the pre-signed pool: ${integer(signedDuringLoad)}`);
  lines.push(machineLine(result.machine), runtimeLine(result));
  if (result.aborted) lines.push(`ABORTED: ${result.aborted}`);
  return lines.filter(Boolean);
}

export function renderMarkdown(result) {
  const parts = [];
  if (result.soak) {
    parts.push(markdownTable(['progress', 'requests', 'seconds', 'relay RSS MB'], soakRows(result.soak), new Set([1, 2, 3])));
    parts.push('', soakSummary(result.soak));
  } else {
    parts.push(markdownTable(HEADERS, phaseRows(result), RIGHT_ALIGNED));
  }
  parts.push('', ...footer(result).map((line) => `- ${line}`));
  return parts.join('\n');
}

export function renderText(result) {
  const parts = [];
  if (result.soak) {
    parts.push(textTable(['progress', 'requests', 'seconds', 'relay RSS MB'], soakRows(result.soak), new Set([1, 2, 3])));
    parts.push('', soakSummary(result.soak));
  } else {
    parts.push(textTable(HEADERS, phaseRows(result), RIGHT_ALIGNED));
  }
  parts.push('', ...footer(result));
  return parts.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('Usage: node bench/report.mjs bench/results/<timestamp>.json [--text]\n');
    process.exit(64);
  }
  const result = JSON.parse(readFileSync(file, 'utf8'));
  process.stdout.write(`${process.argv.includes('--text') ? renderText(result) : renderMarkdown(result)}\n`);
}
