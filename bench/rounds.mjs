// Rounds: the relay and the reference relay each run several times, alternated, as fresh
// processes. This sums up one phase's rounds into one figure per column (the median of the
// rounds; counts are added up), and remembers which requests (by their number in the payload
// sequence) each round's measured phases sent, so the read-back can say what was lost where.
import { round } from './sampler.mjs';

/** The median of the numbers among `values` (the mean of the middle two for an even count), or null. */
export function median(values) {
  const numbers = values.filter((value) => typeof value === 'number' && Number.isFinite(value)).sort((a, b) => a - b);
  if (numbers.length === 0) return null;
  const middle = Math.floor(numbers.length / 2);
  return numbers.length % 2 === 1 ? numbers[middle] : (numbers[middle - 1] + numbers[middle]) / 2;
}

const sum = (values) => values.reduce((total, value) => total + (value ?? 0), 0);

function medianOf(loads, pick, digits) {
  const value = median(loads.map(pick));
  return value === null ? null : round(value, digits);
}

/**
 * One load summary (same shape as a single run's, so a one-round run reads as before) for the
 * rounds of one phase and target: medians of req/s, latencies and resources; sums of counts.
 * `rounds` says how many there were; the rounds themselves are kept next to it in the result.
 */
export function combineRounds(loads) {
  const present = loads.filter(Boolean);
  if (present.length === 0) return null;
  if (present.length === 1) return { ...present[0], rounds: 1 };
  const non2xx = {};
  for (const load of present) for (const [status, count] of Object.entries(load.non2xx ?? {})) non2xx[status] = (non2xx[status] ?? 0) + count;
  const latencyMs = {};
  for (const key of ['p50', 'p90', 'p99', 'p999', 'max', 'mean']) latencyMs[key] = medianOf(present, (load) => load.latencyMs?.[key], 3);
  const resources = {};
  for (const name of ['server', 'loadgen', 'broker']) {
    if (!present.some((load) => load.resources?.[name])) continue;
    resources[name] = {
      peakRssMb: medianOf(present, (load) => load.resources?.[name]?.peakRssMb, 1),
      cpuPercent: medianOf(present, (load) => load.resources?.[name]?.cpuPercent, 1),
    };
  }
  if (present.some((load) => load.resources?.machine)) {
    resources.machine = {
      cpuPercent: medianOf(present, (load) => load.resources?.machine?.cpuPercent, 1),
      otherCpuPercent: medianOf(present, (load) => load.resources?.machine?.otherCpuPercent, 1),
    };
  }
  return {
    rounds: present.length,
    statistic: 'median of the rounds (counts: total of the rounds)',
    connections: present[0].connections,
    overallRate: present[0].overallRate,
    elapsedSeconds: round(sum(present.map((load) => load.elapsedSeconds)), 2),
    sent: sum(present.map((load) => load.sent)),
    completed: sum(present.map((load) => load.completed)),
    requestsPerSecond: medianOf(present, (load) => load.requestsPerSecond, 0),
    requestsPerSecondByRound: present.map((load) => load.requestsPerSecond),
    latencyMs,
    errors: sum(present.map((load) => load.errors)),
    timeouts: sum(present.map((load) => load.timeouts)),
    non2xx,
    non2xxTotal: sum(Object.values(non2xx)),
    acceptedWithoutId: sum(present.map((load) => load.acceptedWithoutId)),
    signedDuringLoad: sum(present.map((load) => load.signedDuringLoad)),
    resources,
  };
}

/**
 * Which part of a run each request number belongs to: a measured phase of a round, or
 * anything else (warm-ups, the soak). Request numbers grow through a target's rounds, so
 * the segments come in order.
 */
export class Segments {
  constructor() {
    this.list = []; // { from, to (exclusive), label }
  }

  add(label, from, to) {
    if (to > from) this.list.push({ from, to, label });
  }

  labelOf(seq) {
    for (const segment of this.list) if (seq >= segment.from && seq < segment.to) return segment.label;
    return 'other';
  }
}
