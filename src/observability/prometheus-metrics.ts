import client from 'prom-client';
import { describeError } from '../core/errors';
import { silentLogger, type Logger } from '../core/logger';
import type {
  CollectedGaugeDefinition, Counter, Gauge, Histogram, HistogramDefinition, MetricDefinition, MetricLabels, MetricsFactory,
} from '../core/metrics';
import { registerHeapAfterGc } from './heap-after-gc';

let processRegistry: client.Registry | undefined;

/**
 * prom-client's process and Node.js metrics (CPU, memory, heap, event loop lag, GC) and the heap
 * after the latest full collection (heap-after-gc.ts), collected
 * once per process however many Junction apps it runs (tests run many): they describe the process.
 */
function sharedProcessRegistry(): client.Registry {
  if (processRegistry === undefined) {
    processRegistry = new client.Registry();
    client.collectDefaultMetrics({ register: processRegistry });
    registerHeapAfterGc(processRegistry);
  }
  return processRegistry;
}

/** Options of {@link PrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Also serve prom-client's process and Node.js metrics (CPU, memory, event loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
  /** Where collection failures (a queue depth that could not be read) are reported. */
  readonly logger?: Logger;
}

/**
 * Children of a labelled prom-client metric, cached by their label values: prom-client hashes a
 * label object on every call, which costs more than the observation itself on the hot path.
 */
class Children<T> {
  private readonly cache = new Map<string, T>();
  constructor(private readonly labelNames: readonly string[], private readonly make: (values: string[]) => T) {}

  of(labels: MetricLabels): T {
    const values = this.labelNames.map((name) => labels[name] ?? '');
    const key = values.join('\u0001');
    let child = this.cache.get(key);
    if (child === undefined) {
      child = this.make(values);
      this.cache.set(key, child);
    }
    return child;
  }
}

/**
 * The metrics factory on prom-client, each process with its own registry. `render()` gives the
 * Prometheus text format for `GET /metrics`.
 */
export class PrometheusMetrics implements MetricsFactory {
  readonly registry = new client.Registry();
  private readonly made = new Map<string, Counter | Gauge | Histogram>();
  private readonly logger: Logger;
  private readonly processMetrics: boolean;

  constructor(options: PrometheusMetricsOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.processMetrics = options.processMetrics ?? true;
  }

  /** Content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format (collected gauges are read now). */
  render(): Promise<string> {
    if (!this.processMetrics) return this.registry.metrics();
    return client.Registry.merge([this.registry, sharedProcessRegistry()]).metrics();
  }

  counter(definition: MetricDefinition): Counter {
    return this.once(definition.name, () => {
      const metric = new client.Counter({ ...this.common(definition) });
      const children = new Children(definition.labelNames, (values) => metric.labels(...values));
      return { inc: (labels: MetricLabels, value = 1) => { children.of(labels).inc(value); } };
    });
  }

  gauge(definition: MetricDefinition): Gauge {
    return this.once(definition.name, () => this.wrapGauge(new client.Gauge({ ...this.common(definition) }), definition));
  }

  collectedGauge(definition: CollectedGaugeDefinition): Gauge {
    return this.once(definition.name, () => {
      let wrapped: Gauge | undefined;
      const { logger } = this;
      const metric: client.Gauge = new client.Gauge({
        ...this.common(definition),
        async collect() {
          try {
            if (wrapped) await definition.collect(wrapped);
          } catch (error) {
            logger.warn('could not collect a metric', { metric: definition.name, error: describeError(error) });
          }
        },
      });
      wrapped = this.wrapGauge(metric, definition);
      return wrapped;
    });
  }

  histogram(definition: HistogramDefinition): Histogram {
    return this.once(definition.name, () => {
      const metric = new client.Histogram({ ...this.common(definition), buckets: [...definition.buckets] });
      const children = new Children(definition.labelNames, (values) => metric.labels(...values));
      return { observe: (labels: MetricLabels, value: number) => { children.of(labels).observe(value); } };
    });
  }

  private wrapGauge(metric: client.Gauge, definition: MetricDefinition): Gauge {
    const children = new Children(definition.labelNames, (values) => metric.labels(...values));
    return {
      set: (labels: MetricLabels, value: number) => { children.of(labels).set(value); },
      inc: (labels: MetricLabels, value = 1) => { children.of(labels).inc(value); },
      dec: (labels: MetricLabels, value = 1) => { children.of(labels).dec(value); },
      // The cached child stays usable: its set() goes through the metric and re-creates the series.
      remove: (labels: MetricLabels) => { metric.remove(...definition.labelNames.map((name) => labels[name] ?? '')); },
    };
  }

  private common(definition: MetricDefinition) {
    return { name: definition.name, help: definition.help, labelNames: [...definition.labelNames], registers: [this.registry] };
  }

  private once<T extends Counter | Gauge | Histogram>(name: string, make: () => T): T {
    const existing = this.made.get(name);
    if (existing !== undefined) return existing as T;
    const made = make();
    this.made.set(name, made);
    return made;
  }
}
