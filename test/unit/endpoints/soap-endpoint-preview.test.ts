import { expect } from 'chai';
import type { EndpointContext, RequestPreview } from '../../../src/core/endpoint';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { JUNCTION_HEADERS_NS, SoapEndpoint } from '../../../src/endpoints/soap/soap-endpoint';
import type { SoapEndpointOptions } from '../../../src/endpoints/soap/soap-endpoint-options';
import { WsdlCache } from '../../../src/endpoints/soap/wsdl-cache';
import { ErpSimulator, findErpWsdlPath } from '../../../examples/legacy/erp/erp-simulator.js';
import { CapturingServer, type CapturedRequest } from './capturing-server';

const WSDL = findErpWsdlPath();
const context: EndpointContext = { routeId: 'test-route', logger: silentLogger };
const CUSTOMER = '{"CUST_NO":"C-1","CUST_NAME":"Ada & <Bob>","TEL":null,"MAIL":"ada@example.org","STAT":"A"}';
const ORDER = '{"ORDER_NO":"ORD-1","CUST_NO":"C-1","AMOUNT":250.00,"CURRENCY":"EUR","LINE":[{"SKU":"W-1","QTY":2,"PRICE":125.00}]}';

function message(body: string, contentType = 'application/json'): Envelope {
  return createEnvelope({ routeId: 'test-route', pattern: 'request-reply', source: 'test', contentType, body });
}

/** The preview matches the captured request: method, path, each listed header's value, body bytes. */
function expectSameRequest(preview: RequestPreview, sent: CapturedRequest): void {
  expect(preview.method).to.equal(sent.method);
  const url = new URL(preview.url);
  expect(`${url.pathname}${url.search}`).to.equal(sent.path);
  for (const [name, value] of Object.entries(preview.headers)) {
    expect(sent.headers[name.toLowerCase()], name).to.equal(value);
  }
  expect(Buffer.from(preview.body, 'utf8').equals(sent.body), 'body bytes').to.equal(true);
}

describe('SoapEndpoint.preview (src/endpoints/soap)', function () {
  let sim: ErpSimulator;
  let proxy: CapturingServer;
  let cache: WsdlCache;
  const started: SoapEndpoint[] = [];

  beforeEach(async function () {
    sim = new ErpSimulator();
    await sim.start();
    proxy = new CapturingServer({ forwardTo: sim.soapUrl });
    await proxy.start();
    cache = new WsdlCache();
  });

  afterEach(async function () {
    await Promise.all(started.splice(0).map((e) => e.close()));
    await proxy.close();
    await sim.close();
  });

  async function endpoint(overrides: Partial<SoapEndpointOptions> = {}): Promise<SoapEndpoint> {
    const created = new SoapEndpoint('erp', {
      wsdl: WSDL, url: `${proxy.url}/erp/soap`, operation: 'CreateOrUpdateCustomer', timeoutMs: 10_000, headers: { 'X-Api-Key': 'k-1' }, messageIdHeader: true, connections: 32, ...overrides,
    }, { wsdlCache: cache });
    started.push(created);
    await created.start();
    return created;
  }

  it('is byte for byte the request send() posts, and the ERP accepts exactly that request', async function () {
    const erp = await endpoint();
    const msg = message(CUSTOMER);
    const preview = await erp.preview(msg);
    expect(proxy.requests, 'preview sends nothing').to.have.length(0);
    expect(sim.stats().attempts).to.equal(0);

    const reply = await erp.send(msg, context);
    expect(JSON.parse(reply.body)).to.have.property('ERP_CUST_NO', 'ERP-000001');
    expect(proxy.requests).to.have.length(1);
    expectSameRequest(preview, proxy.requests[0]!);
    expect(sim.receipts().map((r) => r.messageId)).to.deep.equal([msg.id]);
  });

  it('shows the envelope with the MessageId SOAP header and the SOAPAction and X-Junction-* HTTP headers', async function () {
    const erp = await endpoint();
    const msg = message(CUSTOMER);
    const preview = await erp.preview(msg);
    expect(preview.method).to.equal('POST');
    expect(preview.url).to.equal(`${proxy.url}/erp/soap`);
    expect(preview.headers).to.include({
      'Content-Type': 'text/xml; charset=utf-8',
      SOAPAction: '"urn:legacy:erp:v1/CreateOrUpdateCustomer"',
      'X-Api-Key': 'k-1',
      'x-junction-message-id': msg.id,
      'x-junction-correlation-id': msg.correlationId,
      'x-junction-attempt': '1',
      'Content-Length': String(Buffer.byteLength(preview.body, 'utf8')),
    });
    expect(preview.body).to.match(/^<\?xml version="1\.0" encoding="utf-8"\?><soap:Envelope /);
    expect(preview.body).to.contain(`<soap:Header><jh:MessageId xmlns:jh="${JUNCTION_HEADERS_NS}">${msg.id}</jh:MessageId></soap:Header>`);
    expect(preview.body).to.contain('<CUST_NAME>Ada &amp; &lt;Bob&gt;</CUST_NAME>');
    expect(preview.body).to.not.contain('TEL');
  });

  it('keeps decimals exact in the preview as in the call', async function () {
    const erp = await endpoint({ operation: 'CreateSalesOrder' });
    const msg = message(ORDER);
    const preview = await erp.preview(msg);
    expect(preview.headers).to.have.property('SOAPAction', '"urn:legacy:erp:v1/CreateSalesOrder"');
    expect(preview.body).to.contain('<AMOUNT>250.00</AMOUNT>');
    await erp.send(msg, context);
    expectSameRequest(preview, proxy.requests[0]!);
  });

  it('previews an XML body (sent verbatim) and a call without the SOAP header the same way', async function () {
    const erp = await endpoint({ messageIdHeader: false });
    const msg = message('<?xml version="1.0"?><CreateOrUpdateCustomer xmlns="urn:legacy:erp:v1"><CUST_NO>C-9</CUST_NO><CUST_NAME>X</CUST_NAME><STAT>I</STAT></CreateOrUpdateCustomer>', 'application/xml');
    const preview = await erp.preview(msg);
    expect(preview.body).to.not.contain('Header');
    expect(preview.body).to.contain('<soap:Body><CreateOrUpdateCustomer xmlns="urn:legacy:erp:v1"><CUST_NO>C-9</CUST_NO>');
    await erp.send(msg, context);
    expectSameRequest(preview, proxy.requests[0]!);
    expect(sim.receipts()[0]?.messageId).to.equal(msg.id); // from the HTTP header
  });

  it('captures only its own call while sends are in flight', async function () {
    const erp = await endpoint();
    const sent = Array.from({ length: 5 }, (_, i) => message(CUSTOMER.replace('C-1', `C-${i}`)));
    const previewed = message(CUSTOMER.replace('C-1', 'C-P'));
    const [preview] = await Promise.all([erp.preview(previewed), ...sent.map((m) => erp.send(m, context))]);
    expect(preview.body).to.contain(`>${previewed.id}</jh:MessageId>`).and.to.contain('<CUST_NO>C-P</CUST_NO>');
    expect(proxy.requests).to.have.length(5);
    expect(sim.receipts().map((r) => r.messageId).sort()).to.deep.equal(sent.map((m) => m.id).sort());
  });

  it('throws before start(), and JCT_TRANSFORM_FAILED for a body that is not a JSON object', async function () {
    const idle = new SoapEndpoint('erp', { wsdl: WSDL, operation: 'CreateOrUpdateCustomer', timeoutMs: 1000, headers: {}, messageIdHeader: true, connections: 32 }, { wsdlCache: cache });
    let thrown: unknown;
    await idle.preview(message(CUSTOMER)).catch((e: unknown) => { thrown = e; });
    expect(String(thrown)).to.match(/used before start\(\)/);
    const erp = await endpoint();
    thrown = undefined;
    await erp.preview(message('[1,2]')).catch((e: unknown) => { thrown = e; });
    expect(thrown).to.be.instanceOf(JunctionError);
    expect((thrown as JunctionError).code).to.equal('JCT_TRANSFORM_FAILED');
  });
});
