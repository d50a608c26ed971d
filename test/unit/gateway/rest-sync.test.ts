import { createServer, type Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { silentLogger } from '../../../src/core/logger';
import { loadConfig } from '../../../src/config/load-config';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually, request } from '../../support/http';
import { closeNow, listenOnLoopback } from '../../support/ports';
import { TempConfigDir } from '../../support/temp-config';

/** A JSON backend standing in for the ERP: answers like CreateOrUpdateCustomer, or as told. */
class JsonBackend {
  status = 200;
  delayMs = 0;
  readonly received: unknown[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    const app = express();
    app.use(express.json());
    app.post('/customers', async (req, res) => {
      this.received.push(req.body);
      await new Promise((r) => setTimeout(r, this.delayMs));
      if (this.status !== 200) { res.status(this.status).send('CUST_NAME rejected by policy'); return; }
      res.json({ ERP_CUST_NO: `ERP-${String((req.body as { CUST_NO: string }).CUST_NO)}`, UPDATED_AT: '2026-11-22T10:00:00.000Z' });
    });
    this.server = createServer(app);
    return listenOnLoopback(this.server);
  }

  async close(): Promise<void> {
    await closeNow(this.server);
  }
}

describe('synchronous REST route (request-reply over the in-process bus)', () => {
  const temp = new TempConfigDir();
  const backend = new JsonBackend();
  const log = new FakeTransactionLog();
  let app: JunctionApp;
  let base: string;

  before(async () => {
    const backendUrl = await backend.start();
    const config = path.resolve('config');
    const file = temp.write('junction.yaml', `
endpoints:
  erp: { type: http, url: "${backendUrl}/customers", timeoutMs: 2000 }
routes:
  - id: upsert-customer
    pattern: request-reply
    replyTimeoutMs: 400
    entry:
      rest: { method: PUT, path: "/customers/{customerId}", schema: ${config}/schemas/customer.schema.json, businessKey: /customerId }
    steps:
      - { name: crm-to-erp, type: map, mapping: ${config}/mappings/crm-to-erp-customer.yaml }
    to: [erp]
    replySteps:
      - { name: erp-to-crm, type: map, mapping: ${config}/mappings/erp-to-crm-customer.yaml }
`);
    app = buildApp(loadConfig(file, {}), { logger: silentLogger, port: 0, log, broker: new MemoryBroker({ requeueDelayMs: 10 }) });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    await backend.close();
    temp.remove();
  });
  beforeEach(() => { backend.status = 200; backend.delayMs = 0; });

  const put = (id: string, body: string) => request(`${base}/api/v1/customers/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });

  it('answers 200 with the mapped reply, the path id merged into the body', async () => {
    const res = await put('C-1', '{"name":"Ada","status":"ACTIVE"}');
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.deep.equal({ customerId: 'C-1', erpCustomerNo: 'ERP-C-1', syncedAt: '2026-11-22T10:00:00.000Z' });
    expect(backend.received.at(-1)).to.deep.equal({ CUST_NO: 'C-1', CUST_NAME: 'Ada', STAT: 'A' });
    const id = String(res.headers.get('x-junction-message-id'));
    expect((await log.load(id))?.status).to.equal('DELIVERED');
  });

  it('refuses a body whose id differs from the URL with 422', async () => {
    const res = await put('C-2', '{"customerId":"C-3","name":"Ada","status":"ACTIVE"}');
    expect(res.status).to.equal(422);
    expect(res.json.violations).to.deep.equal([{ path: '/customerId', message: 'must equal the value in the URL ("C-2") or be left out' }]);
  });

  it('passes a backend refusal on at once with the message id (no waiting for the timeout)', async () => {
    backend.status = 400;
    const started = Date.now();
    const res = await put('C-4', '{"name":"Ada","status":"ACTIVE"}');
    expect(res.status).to.equal(502);
    expect(res.json).to.include({ code: 'JCT_ENDPOINT_REJECTED', messageId: res.headers.get('x-junction-message-id') });
    expect(String(res.json.detail)).to.contain('CUST_NAME rejected by policy');
    expect(Date.now() - started).to.be.below(400);
  });

  it('times out with 504 and the message id; processing that had begun still finishes and is recorded', async () => {
    backend.delayMs = 700;
    const res = await put('C-5', '{"name":"Slow","status":"ACTIVE"}');
    expect(res.status).to.equal(504);
    expect(res.json.code).to.equal('JCT_REPLY_TIMEOUT');
    const id = String(res.json.messageId);
    expect(String(res.json.detail)).to.contain(id).and.contain('ask for its status');
    await eventually(async () => ((await log.load(id))?.status === 'DELIVERED' ? true : undefined), 3000);
  });

  it('refuses a body that breaks the schema before anything is recorded', async () => {
    const bad = await put('C-7', '{"name":"Ada","status":"ACTIVE","phone":{"home":"1"}}');
    expect(bad.status).to.equal(422);
    expect(bad.json.code).to.equal('JCT_VALIDATION_FAILED');
    expect(bad.headers.get('x-junction-message-id')).to.equal(null);
  });

  it('publishes an OpenAPI 3.1 document describing the routes', async () => {
    const res = await request(`${base}/api/v1/openapi.json`);
    expect(res.json.openapi).to.equal('3.1.0');
    const paths = res.json.paths as Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string }[] }>>;
    expect(paths['/customers/{customerId}']?.put?.parameters?.map((p) => p.name)).to.deep.equal(['customerId']);
    expect(Object.keys(paths['/customers/{customerId}']?.put?.responses ?? {})).to.include.members(['200', '422', '504']);
    expect(paths['/messages/{id}']).to.have.property('get');
    const schemas = (res.json.components as { schemas: Record<string, { required?: string[] }> }).schemas;
    expect(schemas['upsert-customer-request']?.required).to.deep.equal(['name', 'status']);
  });
});
