import type { Broker } from '../core/broker';
import { describeError } from '../core/errors';
import type { MetricsFactory } from '../core/metrics';
import type { TransactionLog } from '../core/transaction-log';
import { checkStore } from './readiness';

/** What {@link registerHealthMetrics} reads at each scrape. */
export interface HealthMetricsDeps {
  readonly broker: Broker;
  readonly log: TransactionLog;
  /** The route ids whose queue depths are reported (the worker's routes). */
  readonly destinations: readonly string[];
  /** Longest a database ping may take during a scrape (default 2000 ms). */
  readonly timeoutMs?: number;
}

/**
 * Gauges read when /metrics is scraped: whether the broker and the database answer
 * (`junction_broker_up`, `junction_store_up`, 1 or 0) and how many messages wait on each route's
 * queue and dead-letter queue (`junction_queue_messages{route, queue="ready"|"dead-letter"}`).
 * Depths are read only while the broker is connected. A depth that is not known now — the broker is
 * disconnected, or this route's could not be read (the others are still read, and the failure is
 * logged) — is left out of the output, not shown with its last value: a missing series is what
 * Prometheus users expect for "unknown" (absent() can alert on it), where a stale number would look
 * current. The series come back with the next successful read.
 */
export function registerHealthMetrics(factory: MetricsFactory, deps: HealthMetricsDeps): void {
  factory.collectedGauge({
    name: 'junction_broker_up', help: '1 while connected to the message broker, else 0.', labelNames: [],
    collect: (gauge) => { gauge.set({}, deps.broker.isConnected() ? 1 : 0); },
  });
  factory.collectedGauge({
    name: 'junction_store_up', help: '1 while the transaction log database answers a ping, else 0.', labelNames: [],
    collect: async (gauge) => { gauge.set({}, (await checkStore(deps.log, deps.timeoutMs ?? 2000)).status === 'up' ? 1 : 0); },
  });
  factory.collectedGauge({
    name: 'junction_queue_messages', help: 'Messages waiting on a route\'s queue (ready) and dead-letter queue.', labelNames: ['route', 'queue'],
    collect: async (gauge) => {
      const unknown = (route: string): void => {
        gauge.remove({ route, queue: 'ready' });
        gauge.remove({ route, queue: 'dead-letter' });
      };
      if (!deps.broker.isConnected()) {
        for (const route of deps.destinations) unknown(route);
        return;
      }
      // Each route on its own: one that cannot be counted is left out, the others are still read.
      const failures: { route: string; error: unknown }[] = [];
      for (const route of deps.destinations) {
        try {
          const depth = await deps.broker.queueDepth(route);
          gauge.set({ route, queue: 'ready' }, depth.ready);
          gauge.set({ route, queue: 'dead-letter' }, depth.deadLettered);
        } catch (error) {
          unknown(route);
          failures.push({ route, error });
        }
      }
      if (failures.length > 0) {
        // One error per scrape (the metrics implementation logs it), naming every route that failed.
        const routes = failures.map((f) => f.route).join(', ');
        throw new AggregateError(failures.map((f) => f.error), `Could not read the queue depth of ${routes}: ${describeError(failures[0]?.error)}`);
      }
    },
  });
}
