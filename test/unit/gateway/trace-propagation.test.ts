import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { buildApp, type JunctionApp } from '../../../src/app';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { loadConfig } from '../../../src/config/load-config';
import { ErpSimulator } from '../../../examples/legacy/erp/erp-simulator';
import { OaSimulator } from '../../../examples/legacy/oa/oa-simulator';
import { RecordingLogger } from '../../integration/bus/recording-logger';
import { CapturingServer } from '../endpoints/capturing-server';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { eventually, postJson, request, sampleOrder } from '../../support/http';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

describe('W3C traceparent from callers to backends (REST and SOAP; in-process bus)', () => {
  let oa: OaSimulator;
  let erp: ErpSimulator;
  let oaProxy: CapturingServer;
  let erpProxy: CapturingServer;
  let app: JunctionApp;
  let base: string;
  const logger = new RecordingLogger();

  before(async () => {
    oa = new OaSimulator();
    erp = new ErpSimulator();
    oaProxy = new CapturingServer({ forwardTo: await oa.start() });
    await erp.start();
    erpProxy = new CapturingServer({ forwardTo: erp.url });
    const oaUrl = await oaProxy.start();
    const erpUrl = await erpProxy.start();
    const config = loadConfig('config/default.yaml', { OA_REST_URL: `${oaUrl}/oa/approvals`, ERP_SOAP_URL: `${erpUrl}/erp/soap` });
    app = buildApp(config, { logger, port: 0, log: new FakeTransactionLog(), broker: new MemoryBroker({ requeueDelayMs: 10 }) });
    base = await app.start();
  });
  after(async () => {
    await app.close();
    await Promise.all([oaProxy.close(), erpProxy.close(), oa.close(), erp.close()]);
  });

  it('a REST order: both backends get the caller\'s trace id with Junction\'s span and the caller\'s tracestate', async () => {
    const res = await postJson(`${base}/api/v1/orders`, sampleOrder('SO-T1', '"1500.00"'), { traceparent: TRACEPARENT, tracestate: 'crm=7' });
    expect(res.status).to.equal(202);
    await eventually(async () => (erpProxy.requests.length > 0 && oaProxy.requests.length > 0 ? true : undefined));
    for (const captured of [erpProxy.requests[0], oaProxy.requests[0]]) {
      const traceparent = String(captured?.headers.traceparent);
      expect(traceparent).to.match(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
      expect(traceparent).not.to.contain(CALLER_SPAN);
      expect(captured?.headers.tracestate).to.equal('crm=7');
    }
    const id = String(res.json.messageId);
    // The worker logs the delivery after the last backend has answered, which is after the proxies saw the requests.
    await eventually(async () => (logger.lines.some((l) => l.fields.messageId === id && l.message === 'message delivered') ? true : undefined));
    const lines = logger.lines.filter((l) => l.fields.messageId === id);
    expect(lines.map((l) => l.message)).to.include.members(['message accepted', 'message delivered']);
    for (const line of lines) expect(line.fields).to.include({ traceId: TRACE_ID, correlationId: id, routeId: 'submit-order' });
  });

  it('a SOAP call: the ERP gets the trace too; a caller without a traceparent starts a new trace', async () => {
    erpProxy.requests.length = 0;
    const envelope = readFileSync('test/fixtures/soap/upsert-customer.soap11.xml', 'utf8');
    const soap = await request(`${base}/soap/crm`, {
      method: 'POST', body: envelope,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:junction:crm:v1/UpsertCustomer"', traceparent: TRACEPARENT },
    });
    expect(soap.status, soap.text).to.equal(200);
    expect(String(erpProxy.requests[0]?.headers.traceparent)).to.match(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));

    erpProxy.requests.length = 0;
    const plain = await request(`${base}/soap/crm`, {
      method: 'POST', body: envelope, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:junction:crm:v1/UpsertCustomer"' },
    });
    expect(plain.status).to.equal(200);
    const started = String(erpProxy.requests[0]?.headers.traceparent);
    expect(started).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(started).not.to.contain(TRACE_ID);
  });
});
