import { expect } from 'chai';
import { createJunctionMetrics } from '../../../src/core/junction-metrics';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { RecordingLogger } from '../../integration/bus/recording-logger';

describe('Prometheus metrics (prom-client behind core/metrics)', () => {
  it('counts, times and sets by label; the text format carries every series', async () => {
    const prometheus = new PrometheusMetrics({ processMetrics: false });
    const metrics = createJunctionMetrics(prometheus);
    metrics.received.inc({ route: 'submit-order', source: 'rest' });
    metrics.received.inc({ route: 'submit-order', source: 'rest' });
    metrics.received.inc({ route: 'submit-order', source: 'soap' });
    metrics.failed.inc({ route: 'submit-order', endpoint: 'erp-orders', code: 'JCT_ENDPOINT_REJECTED' });
    metrics.stageSeconds.observe({ route: 'submit-order', stage: 'deliver:erp-orders' }, 0.003);
    metrics.inFlight.inc({ route: 'submit-order', role: 'worker' });
    metrics.inFlight.inc({ route: 'submit-order', role: 'worker' });
    metrics.inFlight.dec({ route: 'submit-order', role: 'worker' });
    const text = await prometheus.render();
    expect(text).to.contain('junction_messages_received_total{route="submit-order",source="rest"} 2');
    expect(text).to.contain('junction_messages_received_total{route="submit-order",source="soap"} 1');
    expect(text).to.contain('junction_messages_failed_total{route="submit-order",endpoint="erp-orders",code="JCT_ENDPOINT_REJECTED"} 1');
    expect(text).to.contain('junction_stage_duration_seconds_bucket{le="0.0025",route="submit-order",stage="deliver:erp-orders"} 0');
    expect(text).to.contain('junction_stage_duration_seconds_bucket{le="0.005",route="submit-order",stage="deliver:erp-orders"} 1');
    expect(text).to.contain('junction_stage_duration_seconds_count{route="submit-order",stage="deliver:erp-orders"} 1');
    expect(text).to.contain('junction_messages_in_flight{route="submit-order",role="worker"} 1');
    expect(text).not.to.contain('process_cpu_user_seconds_total');
    expect(prometheus.contentType).to.match(/^text\/plain/);
  });

  it('serves process metrics once per process, whatever the number of registries', async () => {
    const [a, b] = [new PrometheusMetrics(), new PrometheusMetrics()];
    const [ta, tb] = await Promise.all([a.render(), b.render()]);
    expect(ta).to.contain('process_cpu_user_seconds_total');
    expect(tb).to.contain('nodejs_heap_size_used_bytes');
  });

  it('two processes\' worth of apps in one process keep their own counts', async () => {
    const [a, b] = [new PrometheusMetrics({ processMetrics: false }), new PrometheusMetrics({ processMetrics: false })];
    createJunctionMetrics(a).delivered.inc({ route: 'r', endpoint: 'e' });
    createJunctionMetrics(b);
    expect(await a.render()).to.contain('junction_messages_delivered_total{route="r",endpoint="e"} 1');
    expect(await b.render()).not.to.contain('junction_messages_delivered_total{route="r"');
  });

  it('a collected gauge is read at each scrape; a failing collection is logged and keeps the last value', async () => {
    const logger = new RecordingLogger();
    const prometheus = new PrometheusMetrics({ processMetrics: false, logger });
    let depth = 3;
    let broken = false;
    prometheus.collectedGauge({
      name: 'test_depth', help: 'x', labelNames: ['route'],
      collect: (gauge) => { if (broken) throw new Error('broker gone'); gauge.set({ route: 'r' }, depth); },
    });
    prometheus.collectedGauge({ name: 'test_up', help: 'y', labelNames: [], collect: (gauge) => { gauge.set({}, 1); } });
    expect(await prometheus.render()).to.contain('test_depth{route="r"} 3');
    depth = 7;
    expect(await prometheus.render()).to.contain('test_depth{route="r"} 7').and.contain('test_up 1');
    broken = true;
    expect(await prometheus.render()).to.contain('test_depth{route="r"} 7');
    expect(logger.text()).to.contain('could not collect a metric').and.contain('broker gone');
  });

  it('asking twice for a metric name gives the same metric', () => {
    const prometheus = new PrometheusMetrics({ processMetrics: false });
    const definition = { name: 'test_total', help: 'x', labelNames: ['a'] };
    expect(prometheus.counter(definition)).to.equal(prometheus.counter(definition));
  });
});
