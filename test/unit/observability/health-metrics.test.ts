import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
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
});
