/**
 * The metrics surface every module uses. Modules describe what they count and time here; one
 * implementation (src/observability/prometheus-metrics.ts, prom-client) turns it into Prometheus
 * metrics served at /metrics. Nothing outside src/observability imports prom-client.
 *
 * Label values must come from a bounded set (route ids, endpoint names, error codes, step names):
 * never a message id or anything a caller chooses.
 */

/** Label values of one time series, by label name. */
export type MetricLabels = Readonly<Record<string, string>>;

/** A monotonically increasing count. */
export interface Counter {
  inc(labels: MetricLabels, value?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  set(labels: MetricLabels, value: number): void;
  inc(labels: MetricLabels, value?: number): void;
  dec(labels: MetricLabels, value?: number): void;
  /**
   * Drops the series with these labels, for a value that is no longer known (a queue depth that
   * cannot be read): it is left out of the output rather than shown stale. The next set() brings
   * it back. Removing a series that does not exist does nothing.
   */
  remove(labels: MetricLabels): void;
}

/** A distribution of observed values (latencies in seconds, sizes in rows). */
export interface Histogram {
  observe(labels: MetricLabels, value: number): void;
}

/** Name (snake_case, with its unit), help text and label names of a metric. */
export interface MetricDefinition {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

/** A histogram's definition: its upper bucket bounds, in the metric's unit. */
export interface HistogramDefinition extends MetricDefinition {
  readonly buckets: readonly number[];
}

/**
 * A gauge whose value is read when metrics are collected (a queue depth, whether the broker is
 * connected): `collect` sets it. Errors thrown by `collect` are logged by the implementation and
 * leave the previous values, unless `collect` removed them first.
 */
export interface CollectedGaugeDefinition extends MetricDefinition {
  readonly collect: (gauge: Gauge) => void | Promise<void>;
}

/** Makes metrics. Creating the same name twice returns the same metric. */
export interface MetricsFactory {
  counter(definition: MetricDefinition): Counter;
  gauge(definition: MetricDefinition): Gauge;
  collectedGauge(definition: CollectedGaugeDefinition): Gauge;
  histogram(definition: HistogramDefinition): Histogram;
}

const noCounter: Counter = { inc: () => undefined };
const noGauge: Gauge = { set: () => undefined, inc: () => undefined, dec: () => undefined, remove: () => undefined };
const noHistogram: Histogram = { observe: () => undefined };

/** A factory whose metrics record nothing: for tests and tools that run parts of Junction. */
export const noMetricsFactory: MetricsFactory = Object.freeze({
  counter: () => noCounter,
  gauge: () => noGauge,
  collectedGauge: () => noGauge,
  histogram: () => noHistogram,
});

/** Latency buckets in seconds, 0.25 ms to 30 s: fine enough for a sub-millisecond step and a slow backend. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);

/** Seconds elapsed since a `performance.now()` reading. */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
