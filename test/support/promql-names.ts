import { RelayMetrics } from '../../src/metrics/relay-metrics.js';

/**
 * The relay's metric names as PromQL sees them, to hold alert rules and dashboards to what the
 * relay exports (https://prometheus.io/docs/concepts/metric_types/): a counter or gauge is one
 * series name; a histogram is its _bucket (with `le`), _sum and _count series.
 */

/** Labels Prometheus adds to every series it scrapes through a PodMonitor, not the relay's own. */
const TARGET_LABELS = ['namespace', 'pod', 'container', 'endpoint', 'instance', 'job'];

/** Series name → the label names a selector may match on. */
export type SeriesLabels = ReadonlyMap<string, ReadonlySet<string>>;

/** Every dropea_relay_* series the relay's registry exports, with its label names. */
export function relaySeries(): SeriesLabels {
  const series = new Map<string, ReadonlySet<string>>();
  // prom-client keeps each metric's type and label names on the metric object itself.
  for (const metric of new RelayMetrics().registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames: readonly string[] }[]) {
    if (!metric.name.startsWith('dropea_relay_')) continue;
    const labels = [...metric.labelNames, ...TARGET_LABELS];
    if (metric.type === 'histogram') {
      series.set(`${metric.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${metric.name}_sum`, new Set(labels));
      series.set(`${metric.name}_count`, new Set(labels));
    } else {
      series.set(metric.name, new Set(labels));
    }
  }
  return series;
}

export interface Selector {
  readonly name: string;
  /** The label names its `{…}` matchers name. */
  readonly labels: readonly string[];
}

/** Every dropea_relay_* selector in a PromQL expression, with the labels it matches on. */
export function relaySelectors(expr: string): Selector[] {
  return [...expr.matchAll(/\b(dropea_relay_[a-z0-9_]+)(\{[^}]*\})?/g)].map(([, name, matchers]) => ({
    name: name!,
    labels: [...(matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(([, label]) => label!),
  }));
}

/**
 * What is wrong with an expression's selectors: a series the relay does not export, or a
 * label it does not carry. Empty when every selector is one the relay answers.
 */
export function unknownSelectors(expr: string, series: SeriesLabels): string[] {
  const problems: string[] = [];
  for (const { name, labels } of relaySelectors(expr)) {
    const known = series.get(name);
    if (known === undefined) problems.push(`${name} is not exported`);
    else for (const label of labels) if (!known.has(label)) problems.push(`${name} has no label ${label}`);
  }
  return problems;
}
