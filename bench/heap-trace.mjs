// Traces where a server's memory is (docs/benchmarks.md, Memory): loaded with `--import`, it
// appends one line a second to HEAP_TRACE_DIR/heap-<pid>.log with the process's RSS split into
// file-backed pages (the Node.js binary and libraries) and anonymous memory, V8's heap (used /
// committed, in all and per space), memory outside it (external, ArrayBuffers), and how many
// young (scavenge) and full (mark-compact) collections have run. Anonymous memory less the
// heap's resident pages is, near enough, what C++ allocated with malloc.
// Spaces: https://v8.dev/blog/trash-talk; the collections are `gc` performance entries:
// https://nodejs.org/api/perf_hooks.html#performanceentrydetail
import { mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const directory = process.env.HEAP_TRACE_DIR ?? '.';
mkdirSync(directory, { recursive: true });
const out = openSync(join(directory, `heap-${process.pid}.log`), 'w');

const collections = { scavenges: 0, markCompacts: 0, markCompactMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = entry.detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) collections.scavenges++;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      collections.markCompacts++;
      collections.markCompactMs += entry.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });

const mb = (bytes) => (bytes / 1e6).toFixed(1);

/** Rss and Anonymous of /proc/self/smaps_rollup, in bytes (Linux only; zeros elsewhere). */
function residentPages() {
  try {
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0) * 1024;
    return { rss: kib('Rss'), anonymous: kib('Anonymous') };
  } catch {
    return { rss: 0, anonymous: 0 };
  }
}

const started = Date.now();
setInterval(() => {
  const memory = process.memoryUsage();
  const { total_physical_size: heapResident } = getHeapStatistics();
  const { rss, anonymous } = residentPages();
  const spaces = getHeapSpaceStatistics()
    .filter((space) => space.space_size > 0)
    .map((space) => `${space.space_name.replace(/_space$/, '')}=${mb(space.space_used_size)}/${mb(space.space_size)}`)
    .join(' ');
  const line = [
    `${((Date.now() - started) / 1000).toFixed(0)}s`,
    `rss=${mb(rss)} file=${mb(rss - anonymous)} anon=${mb(anonymous)}`,
    `heap=${mb(memory.heapUsed)}/${mb(memory.heapTotal)} resident=${mb(heapResident)} malloc~${mb(anonymous - heapResident)}`,
    `external=${mb(memory.external)} arrayBuffers=${mb(memory.arrayBuffers)}`,
    `scavenges=${collections.scavenges} markCompacts=${collections.markCompacts} (${collections.markCompactMs.toFixed(0)} ms)`,
    spaces,
  ].join(' ');
  writeSync(out, `${line}\n`);
}, 1000).unref();
