import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import type { EndpointContext } from '../../../src/core/endpoint';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { createEndpointRegistry } from '../../../src/endpoints/endpoint-registry';
import { SoapEndpoint } from '../../../src/endpoints/soap/soap-endpoint';
import { soapEndpointFactory } from '../../../src/endpoints/soap/soap-endpoint-factory';
import type { SoapEndpointOptions } from '../../../src/endpoints/soap/soap-endpoint-options';
import { WsdlCache } from '../../../src/endpoints/soap/wsdl-cache';
import { ErpSimulator, findErpWsdlPath } from '../../../examples/legacy/erp/erp-simulator.js';
import { freePort } from '../../support/ports';
import { SocketCountingProxy } from './socket-counting-proxy';

const WSDL = findErpWsdlPath();
const context: EndpointContext = { routeId: 'test-route', logger: silentLogger };

function message(body: string, contentType = 'application/json'): Envelope {
  return createEnvelope({ routeId: 'test-route', pattern: 'request-reply', source: 'test', contentType, body });
}

const CUSTOMER = '{"CUST_NO":"C-1","CUST_NAME":"Ada","TEL":null,"STAT":"A"}';
const ORDER = '{"ORDER_NO":"ORD-1","CUST_NO":"C-1","AMOUNT":250.00,"CURRENCY":"EUR","LINE":[{"SKU":"W-1","QTY":2,"PRICE":125.00}]}';

/** Runs `fn`, expecting it to throw a JunctionError, and returns it. */
async function failure(fn: () => Promise<unknown>): Promise<JunctionError> {
  try {
    await fn();
  } catch (error) {
    expect(error).to.be.instanceOf(JunctionError);
    return error as JunctionError;
  }
  throw new Error('expected a JunctionError');
}

/** A plain HTTP server answering every request with `status` and `body` (for non-SOAP answers). */
async function plainServer(status: number, body: string, contentType = 'text/html'): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': contentType }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/erp/soap`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('SoapEndpoint (src/endpoints/soap) against the ERP simulator', function () {
  let sim: ErpSimulator;
  let cache: WsdlCache;
  const started: SoapEndpoint[] = [];

  beforeEach(async function () {
    sim = new ErpSimulator();
    await sim.start();
    cache = new WsdlCache();
  });

  afterEach(async function () {
    await Promise.all(started.splice(0).map((e) => e.close()));
    await sim.close();
  });

  function options(overrides: Partial<SoapEndpointOptions> = {}): SoapEndpointOptions {
    return { wsdl: WSDL, url: sim.soapUrl, operation: 'CreateOrUpdateCustomer', timeoutMs: 10_000, headers: {}, messageIdHeader: true, connections: 32, ...overrides };
  }

  async function endpoint(overrides: Partial<SoapEndpointOptions> = {}, name = 'erp'): Promise<SoapEndpoint> {
    const created = new SoapEndpoint(name, options(overrides), { wsdlCache: cache });
    started.push(created);
    await created.start();
    return created;
  }

  describe('success', function () {
    it('calls the operation with the JSON fields and answers the result as JSON', async function () {
      const erp = await endpoint();
      const msg = message(CUSTOMER);
      const reply = await erp.send(msg, context);
      expect(reply.contentType).to.equal('application/json');
      const result = JSON.parse(reply.body) as Record<string, string>;
      expect(result['ERP_CUST_NO']).to.equal('ERP-000001');
      const receipt = sim.receipts()[0];
      // xsd:dateTime comes back exactly as the ERP wrote it, not re-formatted through a Date.
      expect(result['UPDATED_AT']).to.equal(receipt?.reply['UPDATED_AT']);
      expect(receipt).to.include({ messageId: msg.id, operation: 'CreateOrUpdateCustomer' });
      expect(receipt?.fields).to.deep.equal({ CUST_NO: 'C-1', CUST_NAME: 'Ada', STAT: 'A' }); // null TEL left out
    });

    it('keeps decimals exact both ways: 250.00 goes out as 250.00 and comes back as 250.00', async function () {
      const erp = await endpoint({ operation: 'CreateSalesOrder' });
      const reply = await erp.send(message(ORDER), context);
      expect(reply.body).to.equal('{"ERP_ORDER_NO":"SO-000001","AMOUNT":250.00,"LINES":1}');
      const receipt = sim.receipts()[0];
      expect(receipt?.fields).to.deep.equal({
        ORDER_NO: 'ORD-1', CUST_NO: 'C-1', AMOUNT: '250.00', CURRENCY: 'EUR', LINE: [{ SKU: 'W-1', QTY: '2', PRICE: '125.00' }],
      });
    });

    it('keeps digits beyond a double\'s precision, whether sent as a JSON number or a string', async function () {
      const erp = await endpoint({ operation: 'CreateSalesOrder' });
      const big = '{"ORDER_NO":"ORD-2","CUST_NO":"C-1","AMOUNT":12345678901234567890.12,"CURRENCY":"EUR","LINE":[{"SKU":"W-1","QTY":"0.001","PRICE":"9007199254740993"}]}';
      const reply = await erp.send(message(big), context);
      expect(reply.body).to.equal('{"ERP_ORDER_NO":"SO-000001","AMOUNT":12345678901234567890.12,"LINES":1}');
      const receipt = sim.receipts()[0];
      expect(receipt?.operation === 'CreateSalesOrder' && receipt.fields.AMOUNT).to.equal('12345678901234567890.12');
      expect(receipt?.operation === 'CreateSalesOrder' && receipt.fields.LINE[0]).to.deep.equal({ SKU: 'W-1', QTY: '0.001', PRICE: '9007199254740993' });
    });

    it('sends an XML body verbatim as the Body content', async function () {
      const erp = await endpoint();
      const xml = '<?xml version="1.0"?><CreateOrUpdateCustomer xmlns="urn:legacy:erp:v1"><CUST_NO>C-9</CUST_NO><CUST_NAME>X</CUST_NAME><STAT>I</STAT></CreateOrUpdateCustomer>';
      const reply = await erp.send(message(xml, 'application/xml; charset=utf-8'), context);
      expect(JSON.parse(reply.body)).to.have.property('ERP_CUST_NO', 'ERP-000001');
      expect(sim.receipts()[0]?.fields).to.deep.equal({ CUST_NO: 'C-9', CUST_NAME: 'X', STAT: 'I' });
    });

    it('sends the message id as the MessageId SOAP header and the X-Junction-Message-Id HTTP header', async function () {
      const withHeader = await endpoint();
      const first = message(CUSTOMER);
      await withHeader.send(first, context);
      // Without the SOAP header the simulator falls back to the HTTP header: both carry the id.
      const httpOnly = await endpoint({ messageIdHeader: false }, 'erp-http-only');
      const second = message(CUSTOMER);
      await httpOnly.send(second, context);
      expect(sim.receipts().map((r) => r.messageId)).to.deep.equal([first.id, second.id]);
    });

    it('keeps each concurrent call\'s message id with its own request', async function () {
      const erp = await endpoint({ operation: 'CreateSalesOrder' });
      const messages = Array.from({ length: 20 }, (_, i) => message(ORDER.replace('ORD-1', `ORD-${i}`)));
      await Promise.all(messages.map((m) => erp.send(m, context)));
      const byOrder = new Map(sim.receipts().map((r) => [r.operation === 'CreateSalesOrder' ? r.fields.ORDER_NO : '', r.messageId]));
      messages.forEach((m, i) => expect(byOrder.get(`ORD-${i}`)).to.equal(m.id));
      expect(sim.stats()).to.include({ received: 20, distinct: 20 });
    });

    it('counts a redelivery of the same message as a duplicate at the ERP', async function () {
      const erp = await endpoint();
      const msg = message(CUSTOMER);
      await erp.send(msg, context);
      await erp.send({ ...msg, attempt: 2 }, context);
      expect(sim.stats().duplicates).to.deep.equal([msg.id]);
    });
  });

  describe('connections', function () {
    it('opens at most `connections` connections to the backend, however many calls are in flight', async function () {
      const proxy = new SocketCountingProxy(sim.url, 2);
      const proxyUrl = await proxy.start();
      try {
        const erp = await endpoint({ url: `${proxyUrl}/erp/soap`, connections: 2 });
        const replies = await Promise.all(Array.from({ length: 10 }, () => erp.send(message(CUSTOMER), context)));
        expect(replies.every((r) => JSON.parse(r.body).ERP_CUST_NO === 'ERP-000001')).to.equal(true);
        expect(sim.stats().received).to.equal(10);
        // Two at once (the proxy held the first call until a second connection brought another),
        // never more: the other eight calls waited for a free connection, which they reused.
        expect(proxy.peakOpen).to.equal(2);
        expect(proxy.accepted).to.equal(2);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('client reuse', function () {
    it('fetches and parses the WSDL once for every endpoint and send in the process', async function () {
      const customers = await endpoint({ wsdl: sim.wsdlUrl, url: undefined });
      const orders = await endpoint({ wsdl: sim.wsdlUrl, url: undefined, operation: 'CreateSalesOrder' }, 'erp-orders');
      for (let i = 0; i < 3; i += 1) {
        await customers.send(message(CUSTOMER), context);
        await orders.send(message(ORDER), context);
      }
      expect(sim.wsdlRequests()).to.equal(1);
      expect(cache.loads).to.equal(1);
      expect(sim.stats().received).to.equal(6);
      // The address came from the served WSDL (the simulator writes its own URL there).
    });

    it('forgets a failed WSDL load so a later start() tries again', async function () {
      sim.setBehaviour({ down: true });
      const erp = new SoapEndpoint('erp', options({ wsdl: sim.wsdlUrl }), { wsdlCache: cache });
      started.push(erp);
      const error = await failure(() => erp.start());
      expect(error.code).to.equal('JCT_ENDPOINT_UNREACHABLE');
      expect(error.retryable).to.equal(true);
      expect(error.message).to.match(/cannot fetch its WSDL http:\/\/127\.0\.0\.1:\d+\/erp\/soap\?wsdl/);
      sim.setBehaviour({ down: false });
      await erp.start();
      await erp.send(message(CUSTOMER), context);
      expect(cache.loads).to.equal(2);
    });
  });

  describe('error mapping', function () {
    it('a Client fault is JCT_ENDPOINT_REJECTED (permanent) quoting the faultstring', async function () {
      const erp = await endpoint();
      const error = await failure(() => erp.send(message('{"CUST_NO":"C-1","CUST_NAME":"","STAT":"A"}'), context));
      expect(error.code).to.equal('JCT_ENDPOINT_REJECTED');
      expect(error.retryable).to.equal(false);
      expect(error.message).to.equal('Endpoint "erp" rejected CreateOrUpdateCustomer with SOAP fault soap:Client: CUST_NAME must not be empty');
      expect(error.details).to.include({ endpoint: 'erp', operation: 'CreateOrUpdateCustomer', status: 500, faultcode: 'soap:Client' });
      expect(error.details['faultDetail']).to.contain('VALIDATION');
    });

    it('a simulated Client fault is permanent too', async function () {
      const erp = await endpoint();
      sim.setBehaviour({ faultCode: 'Client' });
      const error = await failure(() => erp.send(message(CUSTOMER), context));
      expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_REJECTED', false]);
    });

    it('a Server fault is JCT_ENDPOINT_SERVER_ERROR (retryable), and the retry succeeds after failNext', async function () {
      const erp = await endpoint();
      sim.setBehaviour({ failNext: 1 });
      const msg = message(CUSTOMER);
      const error = await failure(() => erp.send(msg, context));
      expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_SERVER_ERROR', true]);
      expect(error.message).to.equal('Endpoint "erp" answered CreateOrUpdateCustomer with SOAP fault soap:Server: simulated failure: the ERP is temporarily unavailable');
      const reply = await erp.send({ ...msg, attempt: 2 }, context);
      expect(JSON.parse(reply.body)).to.have.property('ERP_CUST_NO');
    });

    it('HTTP 5xx without a fault is JCT_ENDPOINT_SERVER_ERROR, 4xx without a fault is JCT_ENDPOINT_REJECTED', async function () {
      const unavailable = await plainServer(503, '<html><body>Service Unavailable</body></html>');
      const missing = await plainServer(404, 'Not Found', 'text/plain');
      const empty = await plainServer(502, '', 'text/plain');
      try {
        const e503 = await failure(async () => (await endpoint({ url: unavailable.url }, 'a')).send(message(CUSTOMER), context));
        expect([e503.code, e503.retryable, e503.details['status']]).to.deep.equal(['JCT_ENDPOINT_SERVER_ERROR', true, 503]);
        expect(e503.message).to.match(/^Endpoint "a" answered CreateOrUpdateCustomer with HTTP 503 and no SOAP fault: <html>/);
        const e404 = await failure(async () => (await endpoint({ url: missing.url }, 'b')).send(message(CUSTOMER), context));
        expect([e404.code, e404.retryable, e404.details['status']]).to.deep.equal(['JCT_ENDPOINT_REJECTED', false, 404]);
        const e502 = await failure(async () => (await endpoint({ url: empty.url }, 'c')).send(message(CUSTOMER), context));
        expect([e502.code, e502.retryable]).to.deep.equal(['JCT_ENDPOINT_SERVER_ERROR', true]);
      } finally {
        await Promise.all([unavailable.close(), missing.close(), empty.close()]);
      }
    });

    it('a 200 that is not a SOAP response is JCT_ENDPOINT_SERVER_ERROR', async function () {
      const html = await plainServer(200, '<html><body>Welcome</body></html>');
      try {
        const error = await failure(async () => (await endpoint({ url: html.url })).send(message(CUSTOMER), context));
        expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_SERVER_ERROR', true]);
      } finally {
        await html.close();
      }
    });

    it('no answer within timeoutMs is JCT_ENDPOINT_TIMEOUT (retryable), promptly', async function () {
      const erp = await endpoint({ timeoutMs: 200 });
      sim.setBehaviour({ delayMs: 3000 });
      const before = Date.now();
      const error = await failure(() => erp.send(message(CUSTOMER), context));
      expect(Date.now() - before).to.be.below(1500);
      expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_TIMEOUT', true]);
      expect(error.message).to.equal('Endpoint "erp" did not answer CreateOrUpdateCustomer within 200 ms');
      expect(sim.stats().received).to.equal(0);
    });

    it('a backend that applies and then stalls times out, and the ERP has the message (the retry will be a duplicate)', async function () {
      const erp = await endpoint({ timeoutMs: 200 });
      sim.setBehaviour({ applyThenDelayMs: 3000 });
      const msg = message(CUSTOMER);
      const error = await failure(() => erp.send(msg, context));
      expect(error.code).to.equal('JCT_ENDPOINT_TIMEOUT');
      expect(sim.receipts().map((r) => r.messageId)).to.deep.equal([msg.id]);
    });

    it('a dropped connection is JCT_ENDPOINT_UNREACHABLE (retryable)', async function () {
      const erp = await endpoint();
      sim.setBehaviour({ down: true });
      const error = await failure(() => erp.send(message(CUSTOMER), context));
      expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_UNREACHABLE', true]);
      expect(error.message).to.equal('Endpoint "erp" is unreachable (ECONNRESET)');
    });

    it('a refused connection is JCT_ENDPOINT_UNREACHABLE, and credentials in the URL never show', async function () {
      const port = await freePort();
      const erp = await endpoint({ url: `http://admin:s3cret@127.0.0.1:${port}/erp/soap`, headers: { authorization: 'Basic c2VjcmV0' } });
      const error = await failure(() => erp.send(message(CUSTOMER), context));
      expect([error.code, error.retryable]).to.deep.equal(['JCT_ENDPOINT_UNREACHABLE', true]);
      expect(error.message).to.equal('Endpoint "erp" is unreachable (ECONNREFUSED)');
      const plain = JSON.stringify(error.toJSON());
      expect(plain).to.not.match(/s3cret|c2VjcmV0|stack|\n\s+at /);
    });

    it('a body that is not a JSON object is JCT_TRANSFORM_FAILED and nothing is sent', async function () {
      const erp = await endpoint();
      expect((await failure(() => erp.send(message('{"CUST_NO":'), context))).code).to.equal('JCT_TRANSFORM_FAILED');
      expect((await failure(() => erp.send(message('[1,2]'), context))).code).to.equal('JCT_TRANSFORM_FAILED');
      expect(sim.stats().attempts).to.equal(0);
    });

    it('close() abandons a call in flight as JCT_ENDPOINT_UNREACHABLE', async function () {
      const erp = await endpoint();
      sim.setBehaviour({ delayMs: 3000 });
      const pending = failure(() => erp.send(message(CUSTOMER), context));
      await new Promise((r) => setTimeout(r, 100));
      await erp.close();
      const error = await pending;
      expect([error.code, error.message]).to.deep.equal(['JCT_ENDPOINT_UNREACHABLE', 'Endpoint "erp" was closed while calling CreateOrUpdateCustomer']);
    });
  });

  describe('abort signals', function () {
    it('gives each call a signal of its own, never one composed with a long-lived signal (Node 20 keeps every such composite: nodejs/node#55351)', async function () {
      const erp = await endpoint();
      const composed: unknown[] = [];
      const any = AbortSignal.any.bind(AbortSignal);
      AbortSignal.any = (signals: AbortSignal[]): AbortSignal => {
        composed.push(signals);
        return any(signals);
      };
      try {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => erp.send(message(CUSTOMER.replace('C-1', `C-${i}`)), context)));
        expect(answers).to.have.length(20);
      } finally {
        AbortSignal.any = any;
      }
      expect(composed, 'AbortSignal.any calls').to.have.length(0);
      expect(sim.stats().received).to.equal(20);
    });

    it('a timeout abandons only its own call; close() then abandons the others', async function () {
      const erp = await endpoint({ timeoutMs: 1500 });
      sim.setBehaviour({ delayMs: 3000 });
      const first = failure(() => erp.send(message(CUSTOMER), context));
      await new Promise((r) => setTimeout(r, 1000));
      const second = failure(() => erp.send(message(CUSTOMER.replace('C-1', 'C-2')), context));
      expect((await first).code, 'the first call, timed out').to.equal('JCT_ENDPOINT_TIMEOUT');
      await erp.close();
      expect((await second).message, 'the second call, still inside its own time when closed').to.equal('Endpoint "erp" was closed while calling CreateOrUpdateCustomer');
    });
  });

  describe('start()', function () {
    it('refuses an operation the WSDL does not have, listing the ones it has', async function () {
      const erp = new SoapEndpoint('erp', options({ operation: 'DeleteCustomer' }), { wsdlCache: cache });
      const error = await failure(() => erp.start());
      expect(error.code).to.equal('JCT_CONFIG_INVALID');
      expect(error.message).to.equal('Endpoint "erp": the WSDL has no operation "DeleteCustomer" (operations: CreateOrUpdateCustomer, CreateSalesOrder).');
      const wrongPort = new SoapEndpoint('erp', options({ port: 'Nope' }), { wsdlCache: cache });
      expect((await failure(() => wrongPort.start())).message).to.contain('in port "Nope"');
      await endpoint({ port: 'ErpSoapPort' });
    });

    it('reports a missing WSDL file as JCT_CONFIG_REFERENCE and a relative path without baseDir as JCT_CONFIG_INVALID', async function () {
      const missing = new SoapEndpoint('erp', options({ wsdl: '/nonexistent/erp.wsdl' }), { wsdlCache: cache });
      const error = await failure(() => missing.start());
      expect([error.code, error.message]).to.deep.equal(['JCT_CONFIG_REFERENCE', 'Endpoint "erp" cannot load its WSDL /nonexistent/erp.wsdl (ENOENT)']);
      const relative = new SoapEndpoint('erp', options({ wsdl: 'wsdl/erp/erp.wsdl' }), { wsdlCache: cache });
      expect((await failure(() => relative.start())).code).to.equal('JCT_CONFIG_INVALID');
    });

    it('send() before start() throws', async function () {
      const erp = new SoapEndpoint('erp', options(), { wsdlCache: cache });
      let thrown: unknown;
      await erp.send(message(CUSTOMER), context).catch((e: unknown) => { thrown = e; });
      expect(String(thrown)).to.match(/used before start\(\)/);
    });
  });

  describe('factory and registry', function () {
    it('is registered as type "soap" with a schema that has defaults and requires wsdl and operation', function () {
      const factory = createEndpointRegistry().find('soap');
      expect(factory).to.equal(soapEndpointFactory);
      const schema = factory?.optionsSchema as { required: string[]; additionalProperties: boolean; properties: Record<string, { default?: unknown }> };
      expect(schema.required).to.deep.equal(['wsdl', 'operation']);
      expect(schema.additionalProperties).to.equal(false);
      expect(schema.properties['timeoutMs']?.default).to.equal(10000);
      expect(schema.properties['headers']?.default).to.deep.equal({});
      expect(schema.properties['messageIdHeader']?.default).to.equal(true);
      expect(schema.properties['connections']?.default).to.equal(32);
    });

    it('resolves a relative wsdl against the baseDir it is given', async function () {
      const root = path.resolve(path.dirname(WSDL), '..', '..');
      const erp = soapEndpointFactory.create('erp', { ...options({ wsdl: 'wsdl/erp/erp.wsdl' }) }, { baseDir: root });
      started.push(erp as SoapEndpoint);
      await erp.start();
      const reply = await erp.send(message(CUSTOMER), context);
      expect(JSON.parse(reply.body)).to.have.property('ERP_CUST_NO');
    });
  });
});
