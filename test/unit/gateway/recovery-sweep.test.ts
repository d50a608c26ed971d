import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { silentLogger } from '../../../src/core/logger';
import { RecoverySweep } from '../../../src/gateway/recovery-sweep';
import { createJunctionMetrics } from '../../../src/core/junction-metrics';
import { PrometheusMetrics } from '../../../src/observability/prometheus-metrics';
import { consumingBus } from '../../support/consuming-bus';
import { FakeTransactionLog } from '../../support/fake-transaction-log';

const message = (routeId: string, ageMs: number, pattern: 'one-way' | 'request-reply' = 'one-way'): Envelope => createEnvelope({
  routeId, pattern, source: 'rest:POST /api/v1/orders', contentType: 'application/json', body: '{"orderId":"o-1","amount":"250.00"}',
  headers: { 'x-note': 'kept' }, businessKey: 'o-1',
}, new Date(Date.now() - ageMs));

describe('RecoverySweep (fake log, in-process bus)', () => {
  let log: FakeTransactionLog;
  let broker: MemoryBroker;
  let received: Envelope[];

  beforeEach(async () => {
    log = new FakeTransactionLog();
    ({ broker, received } = await consumingBus(['orders', 'customers', 'secret']));
  });
  afterEach(async () => { await broker.close(); });

  const sweeper = (extra: Partial<ConstructorParameters<typeof RecoverySweep>[0]> = {}) =>
    new RecoverySweep({ log, broker, logger: silentLogger, graceMs: 30_000, ...extra });

  it('publishes a message RECEIVED longer than the grace period and marks it QUEUED; leaves newer, QUEUED and FAILED ones alone', async () => {
    const stranded = message('orders', 60_000);
    const fresh = message('orders', 1_000);
    const refused = message('orders', 60_000);
    const queued = message('orders', 60_000);
    for (const m of [stranded, fresh, refused, queued]) await log.recordReceived(m);
    await log.transition(refused.id, { stage: 'publish', status: 'FAILED', attempt: 1, error: { code: 'JCT_BROKER_UNAVAILABLE', message: 'no', retryable: true } });
    await log.transition(queued.id, { stage: 'queued', status: 'QUEUED', attempt: 1 });

    const result = await sweeper().sweep();
    expect(result).to.deep.equal({ published: [stranded.id], failed: [], skipped: [] });
    await new Promise((r) => setTimeout(r, 50));
    expect(received.map((m) => m.id)).to.deep.equal([stranded.id]);
    expect(received[0]).to.deep.include({ body: stranded.body, routeId: 'orders', businessKey: 'o-1', receivedAt: stranded.receivedAt, attempt: 1 });
    expect(received[0]?.headers).to.deep.equal({ 'x-note': 'kept' });
    const after = await log.load(stranded.id);
    expect(after?.status).to.equal('QUEUED');
    expect(after?.stages.map((s) => s.stage)).to.deep.equal(['received', 'recovered']);
    expect((await log.load(fresh.id))?.status).to.equal('RECEIVED');
    expect((await log.load(refused.id))?.status).to.equal('FAILED');
    expect((await sweeper().sweep()).published).to.deep.equal([]);
  });

  it('fails a stranded request-reply message with JCT_REPLY_TIMEOUT instead of publishing it', async () => {
    const stranded = message('customers', 60_000, 'request-reply');
    await log.recordReceived(stranded);
    const result = await sweeper().sweep();
    expect(result.failed).to.deep.equal([stranded.id]);
    await new Promise((r) => setTimeout(r, 30));
    expect(received).to.deep.equal([]);
    const after = await log.load(stranded.id);
    expect(after?.status).to.equal('FAILED');
    expect(after?.lastError?.code).to.equal('JCT_REPLY_TIMEOUT');
    expect(after?.stages.at(-1)?.stage).to.equal('expired');
  });

  it('counts stranded messages published and failed in junction_messages_recovered_total', async () => {
    const prometheus = new PrometheusMetrics({ processMetrics: false });
    await log.recordReceived(message('orders', 60_000));
    await log.recordReceived(message('orders', 60_000));
    await log.recordReceived(message('customers', 60_000, 'request-reply'));
    await sweeper({ metrics: createJunctionMetrics(prometheus) }).sweep();
    const text = await prometheus.render();
    expect(text).to.contain('junction_messages_recovered_total{route="orders",reason="stranded"} 2');
    expect(text).to.contain('junction_messages_recovered_total{route="customers",reason="failed"} 1');
    expect(text).to.contain('junction_messages_failed_total{route="customers",endpoint="",code="JCT_REPLY_TIMEOUT"} 1');
  });

  it('fails a stranded message whose body was not kept (capture: none) instead of publishing an empty one', async () => {
    const stranded = message('secret', 60_000);
    await log.recordReceived({ ...stranded, body: '' });
    const result = await sweeper({ keepsPayload: (id) => id !== 'secret' }).sweep();
    expect(result.failed).to.deep.equal([stranded.id]);
    expect((await log.load(stranded.id))?.status).to.equal('FAILED');
  });

  it('an operator\'s replay has no caller waiting and keeps its body: published even when request-reply or on a capture: none route', async () => {
    const request = { ...message('customers', 60_000, 'request-reply'), replayOf: 'original-1' };
    const secret = { ...message('secret', 60_000), replayOf: 'original-2', body: '{"orderId":"o-1","fixed":true}' };
    for (const m of [request, secret]) await log.recordReceived(m);
    const result = await sweeper({ keepsPayload: (id) => id !== 'secret' }).sweep();
    expect(result.published.sort()).to.deep.equal([request.id, secret.id].sort());
    await new Promise((r) => setTimeout(r, 50));
    expect(received.map((m) => m.body).sort()).to.deep.equal([request.body, secret.body].sort());
  });

  it('never runs two rounds at once in one process; a failed publish leaves the message for the next round', async () => {
    const stranded = message('orders', 60_000);
    await log.recordReceived(stranded);
    const sweep = sweeper();
    const [a, b] = [sweep.sweep(), sweep.sweep()];
    expect(a).to.equal(b);
    expect((await a).published).to.deep.equal([stranded.id]);

    const other = message('nowhere', 60_000);
    await log.recordReceived(other);
    const result = await sweep.sweep();
    expect(result.skipped).to.deep.equal([other.id]);
    expect((await log.load(other.id))?.status).to.equal('RECEIVED');
    await sweep.close();
  });

  it('two sweepers (two processes) sweeping together: each message is QUEUED once; duplicates only on the bus', async () => {
    const messages = Array.from({ length: 5 }, () => message('orders', 60_000));
    for (const m of messages) await log.recordReceived(m);
    await Promise.all([sweeper().sweep(), sweeper().sweep()]);
    for (const m of messages) {
      const loaded = await log.load(m.id);
      expect(loaded?.status).to.equal('QUEUED');
      expect(loaded?.stages.filter((s) => s.stage === 'recovered')).to.have.length(1);
    }
  });

  it('start() sweeps on its interval; close() stops it', async () => {
    const stranded = message('orders', 60_000);
    await log.recordReceived(stranded);
    const sweep = sweeper({ intervalMs: 20 });
    sweep.start();
    try {
      for (let i = 0; i < 50 && (await log.load(stranded.id))?.status !== 'QUEUED'; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect((await log.load(stranded.id))?.status).to.equal('QUEUED');
    } finally {
      await sweep.close();
    }
    const later = message('orders', 60_000);
    await log.recordReceived(later);
    await new Promise((r) => setTimeout(r, 60));
    expect((await log.load(later.id))?.status).to.equal('RECEIVED');
  });
});
