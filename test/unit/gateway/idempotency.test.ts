import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { silentLogger } from '../../../src/core/logger';
import { loadConfig } from '../../../src/config/load-config';
import { ErpSimulator } from '../../../examples/legacy/erp/erp-simulator';
import { OaSimulator } from '../../../examples/legacy/oa/oa-simulator';
import { REPLY_STAGE } from '../../../src/gateway/message-intake';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually, postJson, request, sampleOrder } from '../../support/http';

const submitOrder = (orderId: string, key: string): string => `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:x="urn:example:any">
  <soap:Header><x:IdempotencyKey>${key}</x:IdempotencyKey></soap:Header>
  <soap:Body>
    <o:SubmitOrderRequest xmlns:o="urn:junction:crm:v1">
      <o:orderId>${orderId}</o:orderId><o:customerId>C-42</o:customerId><o:amount>250.00</o:amount><o:currency>EUR</o:currency>
      <o:lines><o:sku>WIDGET-1</o:sku><o:qty>2</o:qty><o:price>125.00</o:price></o:lines>
    </o:SubmitOrderRequest>
  </soap:Body>
</soap:Envelope>`;

describe('idempotency keys (REST and SOAP gateways; fake log, in-process bus)', () => {
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
    app = buildApp(loadConfig('config/default.yaml', { OA_REST_URL: `${oaUrl}/oa/approvals`, ERP_SOAP_URL: erp.soapUrl }),
      { logger: silentLogger, port: 0, log, broker: new MemoryBroker({ requeueDelayMs: 10 }) });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    await oa.close();
    await erp.close();
  });
  beforeEach(() => { oa.reset(); erp.reset(); });

  const delivered = (id: string) => eventually(async () => ((await log.load(id))?.status === 'DELIVERED' ? true : undefined));
  const orders = (body: string, key?: string) => postJson(`${base}/api/v1/orders`, body, key === undefined ? {} : { 'idempotency-key': key });
  const putCustomer = (id: string, body: string, key: string) => request(`${base}/api/v1/customers/${id}`,
    { method: 'PUT', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body });

  it('one-way: the same key and body answers 202 with the first message id, Idempotent-Replayed, and delivers once', async () => {
    const key = randomUUID();
    const first = await orders(sampleOrder('SO-I1'), key);
    expect(first.status, first.text).to.equal(202);
    expect(first.headers.get('idempotent-replayed')).to.equal(null);
    const id = String(first.json.messageId);
    await delivered(id);
    const again = await orders(sampleOrder('SO-I1'), key);
    expect(again.status, again.text).to.equal(202);
    expect(again.json).to.deep.include({ messageId: id, status: 'DELIVERED', location: `/api/v1/messages/${id}` });
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.headers.get('x-junction-message-id')).to.equal(id);
    await new Promise((r) => setTimeout(r, 100));
    expect(erp.receipts().map((r) => r.messageId)).to.deep.equal([id]);
    const all = await log.find({ routeId: 'submit-order', limit: 1000 });
    expect(all.filter((m) => m.businessKey === 'SO-I1')).to.have.length(1);
    expect((await log.load(id))?.idempotencyKey).to.equal(key);
  });

  it('one-way: the same key with a different body is 422 JCT_IDEMPOTENCY_KEY_REUSED and creates nothing', async () => {
    const key = randomUUID();
    const first = await orders(sampleOrder('SO-I2'), key);
    const res = await orders(sampleOrder('SO-I2', '"251.00"'), key);
    expect(res.status, res.text).to.equal(422);
    expect(res.json.code).to.equal('JCT_IDEMPOTENCY_KEY_REUSED');
    expect(res.text).to.contain(String(first.json.messageId));
    expect((await log.find({ routeId: 'submit-order', limit: 1000 })).filter((m) => m.businessKey === 'SO-I2')).to.have.length(1);
  });

  it('the key is scoped per route, and requests without a key are never deduplicated', async () => {
    const key = randomUUID();
    const a = await orders(sampleOrder('SO-I3'), key);
    const b = await putCustomer('C-I3', '{"name":"Ada","status":"ACTIVE"}', key);
    expect(a.status).to.equal(202);
    expect(b.status, b.text).to.equal(200);
    expect(b.headers.get('idempotent-replayed')).to.equal(null);
    const c = await orders(sampleOrder('SO-I3'));
    const d = await orders(sampleOrder('SO-I3'));
    expect(new Set([a.json.messageId, c.json.messageId, d.json.messageId]).size).to.equal(3);
  });

  it('refuses a malformed key with 400', async () => {
    const res = await orders(sampleOrder('SO-I4'), 'x'.repeat(256));
    expect(res.status).to.equal(400);
    expect(res.json.code).to.equal('JCT_REQUEST_MALFORMED');
  });

  it('16 concurrent requests with one key create exactly one message', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 16 }, () => orders(sampleOrder('SO-I5'), key)));
    expect(answers.map((a) => a.status)).to.deep.equal(Array(16).fill(202));
    expect(new Set(answers.map((a) => a.json.messageId)).size).to.equal(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).to.have.length(15);
    await delivered(String(answers[0]?.json.messageId));
    expect(erp.receipts()).to.have.length(1);
  });

  it('request-reply: a repeat replays the stored reply without calling the backend again', async () => {
    const key = randomUUID();
    const first = await putCustomer('C-I6', '{"name":"Ada","status":"ACTIVE"}', key);
    expect(first.status, first.text).to.equal(200);
    const id = String(first.headers.get('x-junction-message-id'));
    expect((await log.load(id))?.stages.some((s) => s.stage === REPLY_STAGE && s.payload === first.text)).to.equal(true);
    const calls = erp.receipts().length;
    const again = await putCustomer('C-I6', '{"name":"Ada","status":"ACTIVE"}', key);
    expect(again.status, again.text).to.equal(200);
    expect(again.text).to.equal(first.text);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(again.headers.get('x-junction-message-id')).to.equal(id);
    expect(erp.receipts()).to.have.length(calls);
    const other = await putCustomer('C-I6', '{"name":"Bob","status":"ACTIVE"}', key);
    expect(other.status).to.equal(422);
  });

  it('request-reply: a repeat while the first is in flight waits for its reply', async () => {
    const key = randomUUID();
    erp.setBehaviour({ delayMs: 300 });
    try {
      const body = '{"name":"Ada","status":"ACTIVE"}';
      const first = putCustomer('C-I7', body, key);
      await new Promise((r) => setTimeout(r, 100));
      const second = await putCustomer('C-I7', body, key);
      const firstAnswer = await first;
      expect(firstAnswer.status, firstAnswer.text).to.equal(200);
      expect(second.status, second.text).to.equal(200);
      expect(second.text).to.equal(firstAnswer.text);
      expect(second.headers.get('idempotent-replayed')).to.equal('true');
    } finally {
      erp.reset();
    }
  });

  it('request-reply: a repeat of a FAILED request returns the same error', async () => {
    const key = randomUUID();
    erp.setBehaviour({ faultCode: 'Client' });
    try {
      const first = await putCustomer('C-I8', '{"name":"Ada","status":"ACTIVE"}', key);
      expect(first.status).to.be.at.least(400);
      const again = await putCustomer('C-I8', '{"name":"Ada","status":"ACTIVE"}', key);
      expect(again.status).to.equal(first.status);
      expect(again.json.code).to.equal(first.json.code);
      expect(again.headers.get('x-junction-message-id')).to.equal(first.headers.get('x-junction-message-id'));
    } finally {
      erp.reset();
    }
  });

  it('SOAP: an IdempotencyKey header (any namespace) makes a repeat answer 202 with the first message id', async () => {
    const key = randomUUID();
    const send = (orderId: string) => request(`${base}/soap/crm`, {
      method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:junction:crm:v1/SubmitOrder"' }, body: submitOrder(orderId, key),
    });
    const first = await send('SO-I9');
    expect(first.status, first.text).to.equal(202);
    const id = String(first.headers.get('x-junction-message-id'));
    expect((await log.load(id))?.idempotencyKey).to.equal(key);
    const again = await send('SO-I9');
    expect(again.status, again.text).to.equal(202);
    expect(again.headers.get('x-junction-message-id')).to.equal(id);
    const other = await send('SO-I9b');
    expect(other.status).to.equal(500);
    expect(other.text).to.contain('JCT_IDEMPOTENCY_KEY_REUSED');
    await delivered(id);
    expect(erp.receipts().filter((r) => r.messageId === id)).to.have.length(1);
  });
});

/** The in-process broker, told to refuse the next publishes. */
class FlakyBroker extends MemoryBroker {
  failNext = 0;
  override async publish(...args: Parameters<MemoryBroker['publish']>): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('broker said no');
    }
    return super.publish(...args);
  }
}

describe('idempotency keys after a refusal (broker did not confirm)', () => {
  let erp: ErpSimulator;
  let oa: OaSimulator;
  let app: JunctionApp;
  const log = new FakeTransactionLog();
  const broker = new FlakyBroker({ requeueDelayMs: 10 });
  let base: string;

  before(async () => {
    oa = new OaSimulator();
    const oaUrl = await oa.start();
    erp = new ErpSimulator();
    await erp.start();
    app = buildApp(loadConfig('config/default.yaml', { OA_REST_URL: `${oaUrl}/oa/approvals`, ERP_SOAP_URL: erp.soapUrl }),
      { logger: silentLogger, port: 0, log, broker });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    await oa.close();
    await erp.close();
  });

  it('a retry of a refused request with the same key publishes the first message again and delivers it once', async () => {
    const key = randomUUID();
    broker.failNext = 1;
    const refused = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-R1'), { 'idempotency-key': key });
    expect(refused.status, refused.text).to.equal(503);
    const id = String(refused.headers.get('x-junction-message-id'));
    expect((await log.load(id))?.status).to.equal('FAILED');
    const retry = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-R1'), { 'idempotency-key': key });
    expect(retry.status, retry.text).to.equal(202);
    expect(retry.json.messageId).to.equal(id);
    expect(retry.headers.get('idempotent-replayed')).to.equal(null);
    await eventually(async () => ((await log.load(id))?.status === 'DELIVERED' ? true : undefined));
    expect((await log.load(id))?.stages.map((s) => s.stage).slice(0, 4)).to.deep.equal(['received', 'publish', 'resubmitted', 'queued']);
    expect(erp.receipts().map((r) => r.messageId)).to.deep.equal([id]);
  });
});
