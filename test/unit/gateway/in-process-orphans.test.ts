import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { createJunctionMetrics } from '../../../src/core/junction-metrics';
import { DEADLINE_HEADER } from '../../../src/core/headers';
import { silentLogger } from '../../../src/core/logger';
import { RecoverySweep } from '../../../src/gateway/recovery-sweep';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { consumingBus } from '../../support/consuming-bus';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

/** The sweep with the in-process bus: what the last process held on its bus (QUEUED, PROCESSING) is put back once. */
describe('RecoverySweep with the in-process bus: messages the last process held on its bus', () => {
  let log: FakeTransactionLog;
  let broker: MemoryBroker;
  let received: Envelope[];

  beforeEach(async () => {
    log = new FakeTransactionLog();
    ({ broker, received } = await consumingBus(['orders', 'quotes', 'secret']));
  });
  afterEach(async () => { await broker.close(); });

  async function left(status: 'QUEUED' | 'PROCESSING' | 'RETRYING', routeId = 'orders', pattern: 'one-way' | 'request-reply' = 'one-way', headers: Record<string, string> = {}): Promise<Envelope> {
    const m = createEnvelope({ routeId, pattern, source: 'rest:POST /api/v1/orders', contentType: 'application/json', body: '{"orderId":"o-9"}', headers });
    await log.recordReceived(m);
    await log.transition(m.id, { stage: status.toLowerCase(), status, attempt: 1 });
    return m;
  }

  it('publishes QUEUED and PROCESSING messages changed before the bus started, once each, keeping their status', async () => {
    const queued = await left('QUEUED');
    const processing = await left('PROCESSING');
    const waiting = await left('RETRYING');
    await settle();
    const prometheus = new PrometheusMetrics({ processMetrics: false });
    const sweep = new RecoverySweep({ log, broker, logger: silentLogger, busStartedAt: new Date(), metrics: createJunctionMetrics(prometheus) });
    const later = await left('QUEUED'); // this process's own: its copy is on this bus
    expect((await sweep.sweep()).published.sort()).to.deep.equal([queued.id, processing.id].sort());
    await settle();
    expect(received.map((m) => m.id).sort()).to.deep.equal([queued.id, processing.id].sort());
    for (const [m, status] of [[queued, 'QUEUED'], [processing, 'PROCESSING']] as const) {
      const record = await log.load(m.id);
      expect(record?.status).to.equal(status);
      expect(record?.stages.at(-1)).to.deep.include({ stage: 'recovered', detail: 'lost with the in-process bus when Junction stopped; published again by the recovery sweep' });
    }
    expect((await log.load(waiting.id))?.stages.at(-1)?.stage, 'RETRYING has the overdue rule').to.equal('retrying');
    expect((await log.load(later.id))?.stages.at(-1)?.stage).to.equal('queued');
    expect((await sweep.sweep()).published, 'once each').to.deep.equal([]);
    expect(await prometheus.render()).to.contain('junction_messages_recovered_total{route="orders",reason="bus-restart"} 2');
  });

  it('without busStartedAt (RabbitMQ keeps the copies) it leaves them alone', async () => {
    await left('QUEUED');
    await left('PROCESSING');
    await settle();
    expect((await new RecoverySweep({ log, broker, logger: silentLogger }).sweep()).published).to.deep.equal([]);
  });

  it('FAILED, not published, for a request-reply caller that has gone and for a body not kept (capture: none)', async () => {
    const request = await left('PROCESSING', 'quotes', 'request-reply', { [DEADLINE_HEADER]: new Date(Date.now() + 60_000).toISOString() });
    const secret = await left('QUEUED', 'secret');
    await settle();
    const result = await new RecoverySweep({ log, broker, logger: silentLogger, busStartedAt: new Date(), keepsPayload: (r) => r !== 'secret' }).sweep();
    expect(result.failed.sort()).to.deep.equal([request.id, secret.id].sort());
    await settle();
    expect(received).to.deep.equal([]);
    expect((await log.load(request.id))?.lastError?.code).to.equal('JCT_REPLY_TIMEOUT');
    expect((await log.load(secret.id))?.lastError?.code).to.equal('JCT_BROKER_UNAVAILABLE');
  });
});
