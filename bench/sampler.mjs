// Samples the resident memory (VmRSS) and CPU time (utime + stime) of processes from /proc,
// every `intervalMs`, and summarises any window of time: peak RSS, and CPU as a percentage of
// one core (100 % = one core busy for the whole window; more than 100 % uses several).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;

function clockTicksPerSecond() {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

const CLK_TCK = clockTicksPerSecond();

/**
 * CPU seconds and RSS bytes of a process, or null when it is gone. 'self' is this process;
 * 'system' is the whole machine's busy CPU time (all cores, no RSS), to tell what else ran.
 */
export function readProcess(pid) {
  if (pid === 'system') {
    try {
      const [, ...ticks] = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).map(Number);
      // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
      const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3] - ticks[4];
      return { cpuSeconds: busy / CLK_TCK, rssBytes: null };
    } catch {
      return null;
    }
  }
  if (pid === 'self') {
    const { user, system } = process.cpuUsage();
    return { cpuSeconds: (user + system) / 1e6, rssBytes: process.memoryUsage.rss() };
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name, which is in parentheses and may hold spaces: field 3
    // (state) is at index 0, so utime (14) and stime (15) are at 11 and 12.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return { cpuSeconds: ticks / CLK_TCK, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
  } catch {
    return null;
  }
}

export class Sampler {
  /**
   * @param {Record<string, number | 'self' | undefined>} processes name -> pid ('self' = this process)
   */
  constructor(processes, { intervalMs = 250 } = {}) {
    this.processes = Object.fromEntries(Object.entries(processes).filter(([, pid]) => pid !== undefined));
    this.intervalMs = intervalMs;
    this.listeners = new Set();
    this.windows = new Set();
    this.timer = undefined;
  }

  start() {
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called with every sample: { t (ms, performance.now), [name]: { cpuSeconds, rssBytes } | null }. */
  onSample(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  sample() {
    const row = { t: performance.now() };
    for (const [name, pid] of Object.entries(this.processes)) row[name] = readProcess(pid);
    for (const window of this.windows) window.add(row);
    for (const listener of this.listeners) listener(row);
    return row;
  }

  /** Starts a window now; `end()` closes it and returns { [name]: { peakRssMb, cpuPercent } }. */
  window() {
    const rows = [this.sample()];
    const window = { add: (row) => rows.push(row) };
    this.windows.add(window);
    return {
      end: () => {
        rows.push(this.sample());
        this.windows.delete(window);
        return summarise(rows, Object.keys(this.processes));
      },
    };
  }
}

function summarise(rows, names) {
  const summary = {};
  for (const name of names) {
    const present = rows.filter((row) => row[name]);
    if (present.length < 2) {
      summary[name] = null;
      continue;
    }
    const first = present[0];
    const last = present[present.length - 1];
    const seconds = (last.t - first.t) / 1000;
    const peak = Math.max(...present.map((row) => row[name].rssBytes ?? 0));
    summary[name] = {
      peakRssMb: peak > 0 ? round(peak / MB, 1) : null,
      cpuPercent: seconds > 0 ? round(((last[name].cpuSeconds - first[name].cpuSeconds) / seconds) * 100, 1) : null,
      samples: present.length,
    };
  }
  return summary;
}

export function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const bytesToMb = (bytes) => round(bytes / MB, 1);
