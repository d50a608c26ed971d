import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { silentLogger } from '../../../src/core/logger';
import { loadConfig } from '../../../src/config/load-config';
import { checkReadiness, checkStore } from '../../../src/observability/readiness';
import { ErpSimulator } from '../../../examples/legacy/erp/erp-simulator';
import { OaSimulator } from '../../../examples/legacy/oa/oa-simulator';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually, postJson, request, sampleOrder } from '../../support/http';
import { sampleValue } from '../../support/prometheus-text';

describe('/healthz, /readyz and /metrics (in-process bus, fake log)', () => {
  let oa: OaSimulator;
  let erp: ErpSimulator;
  let app: JunctionApp;
  let log: FakeTransactionLog;
  let base: string;

  before(async () => {
    oa = new OaSimulator();
    const oaUrl = await oa.start();
    erp = new ErpSimulator();
    await erp.start();
    log = new FakeTransactionLog();
    const broker = new MemoryBroker({ requeueDelayMs: 10 });
    app = buildApp(loadConfig('config/default.yaml', { OA_REST_URL: `${oaUrl}/oa/approvals`, ERP_SOAP_URL: erp.soapUrl }), { logger: silentLogger, port: 0, log, broker });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    await oa.close();
    await erp.close();
  });

  it('/healthz answers while the process runs; /readyz says ready with both dependencies up', async () => {
    expect((await request(`${base}/healthz`)).json).to.deep.equal({ status: 'ok' });
    const ready = await request(`${base}/readyz`);
    expect(ready.status).to.equal(200);
    expect(ready.json).to.deep.equal({ status: 'ready', ready: true, broker: { status: 'up' }, store: { status: 'up' } });
  });

  it('/readyz answers 503 naming the transaction log when it cannot be reached', async () => {
    log.failNext = [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' })];
    const down = await request(`${base}/readyz`);
    expect(down.status).to.equal(503);
    expect(down.json).to.deep.include({ status: 'not ready', ready: false, broker: { status: 'up' } });
    expect((down.json.store as { status: string; reason: string }).status).to.equal('down');
    expect((down.json.store as { reason: string }).reason).to.contain('ECONNREFUSED');
    expect((await request(`${base}/readyz`)).status).to.equal(200);
  });

  it('/metrics counts a message through gateway and worker, with stage timings and queue depths', async () => {
    const res = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-M1', '"1500.00"'));
    expect(res.status).to.equal(202);
    const id = String(res.json.messageId);
    await eventually(async () => ((await log.load(id))?.status === 'DELIVERED' ? true : undefined));
    const page = await request(`${base}/metrics`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/plain/);
    const text = page.text;
    expect(sampleValue(text, 'junction_messages_received_total{route="submit-order",source="rest"}')).to.equal(1);
    expect(sampleValue(text, 'junction_messages_delivered_total{route="submit-order",endpoint="erp-orders"}')).to.equal(1);
    expect(sampleValue(text, 'junction_messages_delivered_total{route="submit-order",endpoint="oa-approvals"}')).to.equal(1);
    for (const stage of ['record', 'publish', 'accept', 'begin', 'route', 'step:erp-orders:order-to-erp', 'deliver:erp-orders', 'deliver:oa-approvals', 'process']) {
      expect(sampleValue(text, `junction_stage_duration_seconds_count{route="submit-order",stage="${stage}"}`), stage).to.equal(1);
    }
    expect(sampleValue(text, 'junction_message_end_to_end_seconds_count{route="submit-order",outcome="delivered"}')).to.equal(1);
    expect(sampleValue(text, 'junction_messages_in_flight{route="submit-order",role="worker"}')).to.equal(0);
    expect(sampleValue(text, 'junction_queue_messages{route="submit-order",queue="ready"}')).to.equal(0);
    expect(sampleValue(text, 'junction_queue_messages{route="upsert-customer",queue="dead-letter"}')).to.equal(0);
    expect(sampleValue(text, 'junction_broker_up')).to.equal(1);
    expect(sampleValue(text, 'junction_store_up')).to.equal(1);
    expect(text).to.contain('process_cpu_user_seconds_total').and.contain('nodejs_eventloop_lag_seconds');
  });

  it('a message the endpoint refuses counts as failed with its endpoint and code', async () => {
    oa.setBehaviour({ failStatus: 400 });
    try {
      const res = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-M2', '"2500.00"'));
      const id = String(res.json.messageId);
      await eventually(async () => ((await log.load(id))?.status === 'FAILED' ? true : undefined));
      const text = (await request(`${base}/metrics`)).text;
      expect(sampleValue(text, 'junction_messages_failed_total{route="submit-order",endpoint="oa-approvals",code="JCT_ENDPOINT_REJECTED"}')).to.equal(1);
      expect(sampleValue(text, 'junction_message_end_to_end_seconds_count{route="submit-order",outcome="failed"}')).to.equal(1);
    } finally {
      oa.setBehaviour({ failStatus: null });
    }
  });
});

describe('readiness checks', () => {
  it('a broker that is not connected, or a closing process, is not ready', async () => {
    const log = new FakeTransactionLog();
    await log.start();
    const broker = new MemoryBroker();
    const before = await checkReadiness({ broker, log });
    expect(before.ready).to.equal(false);
    expect(before.broker.status).to.equal('down');
    await broker.start();
    expect((await checkReadiness({ broker, log })).ready).to.equal(true);
    const closing = await checkReadiness({ broker, log, closing: () => true });
    expect(closing).to.deep.include({ ready: false, closing: true });
    await broker.close();
  });

  it('a database that does not answer within the timeout counts as down', async () => {
    const log = new FakeTransactionLog();
    log.ping = () => new Promise<void>(() => undefined);
    const started = Date.now();
    const check = await checkStore(log, 50);
    expect(check).to.deep.equal({ status: 'down', reason: 'the transaction log did not answer within 50 ms' });
    expect(Date.now() - started).to.be.below(1000);
  });
});
