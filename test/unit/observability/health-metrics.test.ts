import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import type { QueueDepth } from '../../../src/core/broker';
import { createEnvelope } from '../../../src/core/envelope';
import { registerHealthMetrics } from '../../../src/observability/health-metrics';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { sampleValue } from '../../support/prometheus-text';
import { RecordingLogger } from '../../integration/bus/recording-logger';

describe('health metrics (junction_queue_messages)', () => {
  it('one route whose depth cannot be read does not stop the others; the failure is logged once per scrape', async () => {
    const broker = new MemoryBroker();
    await broker.start();
    try {
      await broker.declare(['first', 'last']); // 'broken' has no queue: counting it throws
      const logger = new RecordingLogger();
      const prometheus = new PrometheusMetrics({ processMetrics: false, logger });
      registerHealthMetrics(prometheus, { broker, log: new FakeTransactionLog(), destinations: ['first', 'broken', 'last'] });
      const text = await prometheus.render();
      expect(sampleValue(text, 'junction_queue_messages{route="first",queue="ready"}')).to.equal(0);
      expect(sampleValue(text, 'junction_queue_messages{route="last",queue="ready"}')).to.equal(0);
      expect(sampleValue(text, 'junction_queue_messages{route="last",queue="dead-letter"}')).to.equal(0);
      expect(sampleValue(text, 'junction_queue_messages{route="broken",queue="ready"}')).to.equal(undefined);
      const warnings = logger.lines.filter((line) => line.message === 'could not collect a metric');
      expect(warnings).to.have.length(1);
      expect(JSON.stringify(warnings[0]?.fields)).to.contain('junction_queue_messages').and.contain('broken');
    } finally {
      await broker.close();
    }
  });

  describe('a depth that is not known is left out, not shown stale', () => {
    /** The memory broker, with a switch to fail one route's depth read or to look disconnected. */
    class SwitchableBroker extends MemoryBroker {
      failing = new Set<string>();
      connected = true;
      override isConnected(): boolean {
        return this.connected && super.isConnected();
      }
      override async queueDepth(destination: string): Promise<QueueDepth> {
        if (this.failing.has(destination)) throw new Error(`cannot count ${destination} (test)`);
        return super.queueDepth(destination);
      }
    }
    let broker: SwitchableBroker;
    let prometheus: PrometheusMetrics;
    const series = (text: string, route: string) => [
      sampleValue(text, `junction_queue_messages{route="${route}",queue="ready"}`),
      sampleValue(text, `junction_queue_messages{route="${route}",queue="dead-letter"}`),
    ];

    beforeEach(async () => {
      broker = new SwitchableBroker();
      await broker.start();
      await broker.declare(['orders', 'customers']);
      prometheus = new PrometheusMetrics({ processMetrics: false });
      registerHealthMetrics(prometheus, { broker, log: new FakeTransactionLog(), destinations: ['orders', 'customers'] });
    });
    afterEach(() => broker.close());

    it('a route whose depth read fails loses its series until a read succeeds again; the others keep theirs', async () => {
      await broker.publish('orders', createEnvelope({
        routeId: 'orders', pattern: 'one-way', source: 'test', contentType: 'application/json', body: '{}',
      }));
      expect(series(await prometheus.render(), 'orders')).to.deep.equal([1, 0]);
      broker.failing.add('orders');
      const during = await prometheus.render();
      expect(series(during, 'orders')).to.deep.equal([undefined, undefined]);
      expect(series(during, 'customers')).to.deep.equal([0, 0]);
      broker.failing.delete('orders');
      expect(series(await prometheus.render(), 'orders')).to.deep.equal([1, 0]);
    });

    it('while the broker is disconnected no route has a depth series; they come back once it is connected', async () => {
      expect(series(await prometheus.render(), 'customers')).to.deep.equal([0, 0]);
      broker.connected = false;
      const down = await prometheus.render();
      expect(sampleValue(down, 'junction_broker_up')).to.equal(0);
      expect(down).not.to.contain('junction_queue_messages{');
      broker.connected = true;
      const up = await prometheus.render();
      expect(series(up, 'orders')).to.deep.equal([0, 0]);
      expect(series(up, 'customers')).to.deep.equal([0, 0]);
    });
  });
});
