import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { silentLogger } from '../../../src/core/logger';
import { loadConfig } from '../../../src/config/load-config';
import { ErpSimulator } from '../../../examples/legacy/erp/erp-simulator';
import { OaSimulator } from '../../../examples/legacy/oa/oa-simulator';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually, postJson, request, sampleOrder } from '../../support/http';

describe('REST gateway and worker (fakes for the log; in-process bus; real HTTP)', () => {
  let oa: OaSimulator;
  let erp: ErpSimulator;
  let app: JunctionApp;
  let log: FakeTransactionLog;
  let broker: MemoryBroker;
  let base: string;

  before(async () => {
    oa = new OaSimulator();
    const oaUrl = await oa.start();
    erp = new ErpSimulator();
    await erp.start();
    log = new FakeTransactionLog();
    broker = new MemoryBroker({ requeueDelayMs: 10 });
    app = buildApp(loadConfig('config/default.yaml', { OA_REST_URL: `${oaUrl}/oa/approvals`, ERP_SOAP_URL: erp.soapUrl }), { logger: silentLogger, port: 0, log, broker });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    await oa.close();
    await erp.close();
  });
  beforeEach(() => { oa.reset(); erp.reset(); });

  it('accepts an order with 202, a message id and a Location, and delivers it to the ERP with exact decimals', async () => {
    const res = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-1', '250.00'));
    expect(res.status).to.equal(202);
    const id = String(res.json.messageId);
    expect(res.headers.get('location')).to.equal(`/api/v1/messages/${id}`);
    const status = await eventually(async () => {
      const r = await request(`${base}/api/v1/messages/${id}`);
      return r.json.status === 'DELIVERED' ? r : undefined;
    });
    expect(status.json).to.include({ id, routeId: 'submit-order', status: 'DELIVERED', businessKey: 'SO-1' });
    const stages = (status.json.stages as { stage: string; status: string }[]).map((s) => `${s.stage}/${s.status}`);
    expect(stages).to.deep.equal(['received/RECEIVED', 'queued/QUEUED', 'processing/PROCESSING', 'route/PROCESSING', 'step:erp-orders:order-to-erp/PROCESSING', 'deliver:erp-orders/DELIVERED']);
    const [receipt] = erp.receipts();
    expect(receipt?.messageId).to.equal(id);
    expect(receipt?.fields).to.deep.include({ ORDER_NO: 'SO-1', AMOUNT: '250.00' });
    expect(oa.receipts()).to.deep.equal([]); // 250.00 is below the approval threshold
    expect((await log.load(id))?.payload).to.equal(sampleOrder('SO-1', '250.00'));
  });

  it('records FAILED with the endpoint error when the backend refuses the message', async () => {
    oa.setBehaviour({ failStatus: 400 });
    const res = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-2', '1500.00'));
    const id = String(res.json.messageId);
    const view = await eventually(async () => {
      const r = await request(`${base}/api/v1/messages/${id}`);
      return r.json.status === 'FAILED' ? r.json : undefined;
    });
    expect(view.lastError).to.deep.include({ code: 'JCT_ENDPOINT_REJECTED', retryable: false });
    expect(String((view.lastError as { message: string }).message)).to.contain('HTTP 400');
  });

  function expectProblem(res: { status: number; headers: Headers; json: Record<string, unknown>; text: string }, status: number, code: string): void {
    expect(res.status).to.equal(status);
    expect(res.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(res.json).to.include({ status, code, type: `urn:junction:error:${code}` });
    expect(res.json.detail).to.be.a('string').and.not.empty;
    expect(res.text).to.not.match(/\bat .+\.js:\d+/); // no stack frames
  }

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await postJson(`${base}/api/v1/orders`, '{"orderId": "SO-3",');
    expectProblem(res, 400, 'JCT_REQUEST_MALFORMED');
    expect(String(res.json.detail)).to.contain('not valid JSON');
  });

  it('answers a body over the limit with 413', async () => {
    const res = await postJson(`${base}/api/v1/orders`, `{"orderId":"${'x'.repeat(1_100_000)}"}`);
    expectProblem(res, 413, 'JCT_REQUEST_TOO_LARGE');
  });

  it('takes a gzip-compressed order (Content-Encoding: gzip); a compressed body over the limit once decompressed is 413, garbage 400', async () => {
    const order = sampleOrder('SO-GZ', '99.50');
    const res = await request(`${base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(order) });
    expect(res.status).to.equal(202);
    expect((await log.load(String(res.json.messageId)))?.payload).to.equal(order);
    // 1.1 MB of JSON in a few KB: refused as too large, without ever holding more than the limit.
    const bomb = gzipSync(`{"orderId":"${'x'.repeat(1_100_000)}"}`);
    expect(bomb.length).to.be.below(10_000);
    expectProblem(await request(`${base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb }), 413, 'JCT_REQUEST_TOO_LARGE');
    const garbage = await request(`${base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: order });
    expectProblem(garbage, 400, 'JCT_REQUEST_MALFORMED');
    expect(String(garbage.json.detail)).to.contain('not valid gzip data');
    const brotli = await request(`${base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, body: order });
    expectProblem(brotli, 415, 'JCT_REQUEST_MEDIA_TYPE');
    expect(String(brotli.json.detail)).to.contain('compressed with gzip or deflate');
  });

  it('answers a non-JSON content type with 415', async () => {
    const res = await request(`${base}/api/v1/orders`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: sampleOrder('SO-4') });
    expectProblem(res, 415, 'JCT_REQUEST_MEDIA_TYPE');
  });

  it('answers a wrong shape with 422 listing every violation, and records nothing', async () => {
    const before = (await log.find({ limit: 1000 })).length;
    const res = await postJson(`${base}/api/v1/orders`, '{"orderId":"SO-5","amount":"12,50","currency":"euro","lines":[]}');
    expectProblem(res, 422, 'JCT_VALIDATION_FAILED');
    const paths = (res.json.violations as { path: string }[]).map((v) => v.path).sort();
    expect(paths).to.deep.equal(['/amount', '/currency', '/customerId', '/lines']);
    expect((await log.find({ limit: 1000 })).length).to.equal(before);
  });

  it('answers an unknown message id and an unknown path with 404', async () => {
    expectProblem(await request(`${base}/api/v1/messages/00000000-0000-4000-8000-000000000000`), 404, 'JCT_MESSAGE_NOT_FOUND');
    expectProblem(await request(`${base}/api/v1/messages/not-an-id`), 404, 'JCT_MESSAGE_NOT_FOUND');
    expectProblem(await request(`${base}/api/v1/nothing`), 404, 'JCT_NOT_FOUND');
  });

  it('answers 503 with Retry-After when the transaction log is down, and nothing reaches the backend', async () => {
    log.failNext = [new Error('connect ECONNREFUSED 127.0.0.1:3306')];
    const res = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-6'));
    expectProblem(res, 503, 'JCT_STORE_UNAVAILABLE');
    expect(res.headers.get('retry-after')).to.equal('5');
    expect(res.text).to.not.contain('3306');
    await new Promise((r) => setTimeout(r, 100));
    expect(oa.stats().received).to.equal(0);
  });

  it('hides unexpected errors behind JCT_INTERNAL with a request id', async () => {
    log.failNext = [new TypeError("Cannot read properties of undefined (reading 'secret')")];
    const res = await request(`${base}/api/v1/messages/00000000-0000-4000-8000-000000000000`, { headers: { 'x-request-id': 'req-123' } });
    expectProblem(res, 500, 'JCT_INTERNAL');
    expect(res.json.requestId).to.equal('req-123');
    expect(res.text).to.not.contain('secret');
  });
});
