import { expect } from 'chai';
import { createClientAsync, type Client } from 'soap';
import { BehaviourValidationError, ErpSimulator, findErpWsdlPath } from '../../../examples/legacy/erp/erp-simulator.js';
import { warningsDuring } from '../../support/warnings';

const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const ERP_NS = 'urn:legacy:erp:v1';

/** A SOAP 1.1 envelope around `body`, with a jh:MessageId header unless `messageId` is null. */
function envelope(body: string, messageId: string | null = 'msg-1'): string {
  const header = messageId === null ? '' : `<soap:Header><jh:MessageId xmlns:jh="urn:junction:headers:v1">${messageId}</jh:MessageId></soap:Header>`;
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NS}">${header}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}

function customerXml(fields: Record<string, string> = {}): string {
  const all = { CUST_NO: 'C-1', CUST_NAME: 'Ada Lovelace', STAT: 'A', ...fields };
  const inner = Object.entries(all).map(([k, v]) => `<e:${k}>${v}</e:${k}>`).join('');
  return `<e:CreateOrUpdateCustomer xmlns:e="${ERP_NS}">${inner}</e:CreateOrUpdateCustomer>`;
}

function orderXml(amount = '250.00', lines = '<LINE><SKU>W-1</SKU><QTY>2</QTY><PRICE>125.00</PRICE></LINE>'): string {
  return `<CreateSalesOrder xmlns="${ERP_NS}"><ORDER_NO>ORD-1</ORDER_NO><CUST_NO>C-1</CUST_NO><AMOUNT>${amount}</AMOUNT><CURRENCY>EUR</CURRENCY>${lines}</CreateSalesOrder>`;
}

/** Text of the first element with local name `name` (any prefix). */
function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<(?:[\\w-]+:)?${name}>([^<]*)</(?:[\\w-]+:)?${name}>`).exec(xml)?.[1];
}

describe('ErpSimulator (examples/legacy/erp)', function () {
  let sim: ErpSimulator;
  let url: string;

  beforeEach(async function () {
    sim = new ErpSimulator();
    url = await sim.start();
  });

  afterEach(async function () {
    await sim.close();
  });

  function post(xml: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    return fetch(`${url}/erp/soap`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', ...headers },
      body: xml,
      ...(signal ? { signal } : {}),
    });
  }

  /** Expects a SOAP 1.1 fault with HTTP 500 and returns its text. */
  async function expectFault(res: Response, faultcode: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand', code: string): Promise<string> {
    const text = await res.text();
    expect(res.status, text).to.equal(500);
    expect(res.headers.get('content-type')).to.equal('text/xml; charset=utf-8');
    expect(tag(text, 'faultcode')).to.equal(`soap:${faultcode}`);
    expect(text).to.match(/<detail><erp:ErpFault xmlns:erp="urn:legacy:erp:v1"><erp:CODE>/);
    expect(tag(text, 'CODE')).to.equal(code);
    return text;
  }

  async function soapClient(): Promise<Client> {
    return createClientAsync(sim.wsdlUrl, { disableCache: true });
  }

  function withMessageId(client: Client, id: string): Client {
    client.clearSoapHeaders();
    client.addSoapHeader(`<jh:MessageId xmlns:jh="urn:junction:headers:v1">${id}</jh:MessageId>`);
    return client;
  }

  describe('lifecycle and WSDL', function () {
    it('does no I/O before start() and exposes url, soapUrl and wsdlUrl', async function () {
      const idle = new ErpSimulator({ port: 0 });
      expect(() => idle.url).to.throw(/not started/);
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.soapUrl).to.equal(`${url}/erp/soap`);
      expect(sim.wsdlUrl).to.equal(`${url}/erp/soap?wsdl`);
      const res = await fetch(`${url}/healthz`);
      expect(await res.json()).to.deep.equal({ status: 'ok' });
    });

    it('serves the WSDL with its address pointing at itself, and counts WSDL requests', async function () {
      const res = await fetch(sim.wsdlUrl);
      const text = await res.text();
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/xml; charset=utf-8');
      expect(text).to.contain('<wsdl:service name="ErpService">');
      expect(text).to.contain(`<soap:address location="${url}/erp/soap"/>`);
      expect((await fetch(`${url}/erp/soap?WSDL`)).status).to.equal(200);
      expect(sim.wsdlRequests()).to.equal(2);
      expect((await fetch(`${url}/erp/soap`)).status).to.equal(400);
      expect(findErpWsdlPath()).to.match(/wsdl[/\\]erp[/\\]erp\.wsdl$/);
    });

    it('close() drops keep-alive connections promptly and stops answering', async function () {
      expect((await post(envelope(customerXml()))).status).to.equal(200);
      const started = Date.now();
      await sim.close();
      expect(Date.now() - started).to.be.below(1000);
      let failed = false;
      await fetch(`${url}/healthz`).catch(() => { failed = true; });
      expect(failed).to.equal(true);
    });
  });

  describe('CreateOrUpdateCustomer with a node-soap client', function () {
    it('creates a customer and answers a stable ERP_CUST_NO per CUST_NO', async function () {
      const client = withMessageId(await soapClient(), 'msg-a');
      const [first] = await client['CreateOrUpdateCustomerAsync']({ CUST_NO: 'C-1', CUST_NAME: 'Ada', STAT: 'A' }) as [Record<string, unknown>];
      expect(first['ERP_CUST_NO']).to.equal('ERP-000001');
      expect(first['UPDATED_AT']).to.be.instanceOf(Date); // node-soap's own conversion of xsd:dateTime

      withMessageId(client, 'msg-b');
      const [again] = await client['CreateOrUpdateCustomerAsync']({ CUST_NO: 'C-1', CUST_NAME: 'Ada L.', TEL: '+44 1', STAT: 'I' }) as [Record<string, unknown>];
      expect(again['ERP_CUST_NO']).to.equal('ERP-000001');
      withMessageId(client, 'msg-c');
      const [other] = await client['CreateOrUpdateCustomerAsync']({ CUST_NO: 'C-2', CUST_NAME: 'Grace', STAT: 'A' }) as [Record<string, unknown>];
      expect(other['ERP_CUST_NO']).to.equal('ERP-000002');

      sim.reset(); // the ERP's data survives a reset
      withMessageId(client, 'msg-d');
      const [afterReset] = await client['CreateOrUpdateCustomerAsync']({ CUST_NO: 'C-1', CUST_NAME: 'Ada', STAT: 'A' }) as [Record<string, unknown>];
      expect(afterReset['ERP_CUST_NO']).to.equal('ERP-000001');
    });

    it('records the call with the message id, the operation, the exact fields and the reply', async function () {
      const client = withMessageId(await soapClient(), 'msg-42');
      await client['CreateOrUpdateCustomerAsync']({ CUST_NO: '007', CUST_NAME: 'A & B <Ltd>', MAIL: 'a@b.example', STAT: 'A' });
      const receipts = sim.receipts();
      expect(receipts).to.have.length(1);
      const receipt = receipts[0];
      expect(receipt).to.include({ messageId: 'msg-42', operation: 'CreateOrUpdateCustomer' });
      expect(receipt?.fields).to.deep.equal({ CUST_NO: '007', CUST_NAME: 'A & B <Ltd>', MAIL: 'a@b.example', STAT: 'A' });
      expect(receipt?.reply['ERP_CUST_NO']).to.equal('ERP-000001');
      expect(receipt?.reply['UPDATED_AT']).to.equal(receipt?.receivedAt);
      expect(Date.parse(receipt?.receivedAt ?? '')).to.be.closeTo(Date.now(), 5000);
      expect(sim.stats()).to.deep.equal({ received: 1, distinct: 1, duplicates: [], attempts: 1 });
    });

    it('answers a Client fault with a detail when CUST_NAME is empty, and records nothing', async function () {
      const client = withMessageId(await soapClient(), 'msg-1');
      let error: unknown;
      await client['CreateOrUpdateCustomerAsync']({ CUST_NO: 'C-1', CUST_NAME: '', STAT: 'A' }).catch((e: unknown) => { error = e; });
      const fault = (error as { root: { Envelope: { Body: { Fault: Record<string, unknown> } } } }).root.Envelope.Body.Fault;
      expect(fault['faultcode']).to.equal('soap:Client');
      expect(fault['faultstring']).to.equal('CUST_NAME must not be empty');
      expect(fault['detail']).to.deep.equal({ ErpFault: { CODE: 'VALIDATION', MESSAGE: 'CUST_NAME must not be empty', FIELD: 'CUST_NAME' } });
      expect((error as { response: { status: number } }).response.status).to.equal(500);
      expect(sim.receipts()).to.have.length(0);
      expect(sim.stats().attempts).to.equal(1);
    });
  });

  describe('message ids', function () {
    it('takes the id from the X-Junction-Message-Id HTTP header when there is no SOAP header', async function () {
      expect((await post(envelope(customerXml(), null), { 'x-junction-message-id': 'http-1' })).status).to.equal(200);
      expect(sim.receipts()[0]?.messageId).to.equal('http-1');
    });

    it('prefers the SOAP header over the HTTP header', async function () {
      expect((await post(envelope(customerXml(), 'soap-1'), { 'x-junction-message-id': 'http-1' })).status).to.equal(200);
      expect(sim.receipts()[0]?.messageId).to.equal('soap-1');
    });

    it('refuses a call without any message id with a Client fault', async function () {
      await expectFault(await post(envelope(customerXml(), null)), 'Client', 'MISSING_MESSAGE_ID');
      expect(sim.receipts()).to.have.length(0);
    });

    it('counts duplicates by message id', async function () {
      for (const id of ['m-1', 'm-2', 'm-1', 'm-3', 'm-1', 'm-2']) {
        expect((await post(envelope(customerXml(), id))).status).to.equal(200);
      }
      expect(sim.stats()).to.deep.equal({ received: 6, distinct: 3, duplicates: ['m-1', 'm-2'], attempts: 6 });
    });
  });

  describe('CreateSalesOrder', function () {
    it('keeps AMOUNT, QTY and PRICE exact and echoes the booked amount', async function () {
      const lines = '<LINE><SKU>W-1</SKU><QTY>2.500</QTY><PRICE>0.10</PRICE></LINE><LINE><SKU>W-2</SKU><QTY>1</QTY><PRICE>249.7500</PRICE></LINE>';
      const res = await post(envelope(orderXml('12345678901234567890.12', lines)));
      const text = await res.text();
      expect(res.status, text).to.equal(200);
      expect(tag(text, 'ERP_ORDER_NO')).to.equal('SO-000001');
      expect(tag(text, 'AMOUNT')).to.equal('12345678901234567890.12');
      expect(tag(text, 'LINES')).to.equal('2');
      expect(sim.receipts()[0]).to.deep.include({
        operation: 'CreateSalesOrder',
        fields: {
          ORDER_NO: 'ORD-1', CUST_NO: 'C-1', AMOUNT: '12345678901234567890.12', CURRENCY: 'EUR',
          LINE: [{ SKU: 'W-1', QTY: '2.500', PRICE: '0.10' }, { SKU: 'W-2', QTY: '1', PRICE: '249.7500' }],
        },
      });
    });

    it('keeps "250.00" through a node-soap client call', async function () {
      const client = withMessageId(await soapClient(), 'o-1');
      const [result] = await client['CreateSalesOrderAsync']({
        ORDER_NO: 'ORD-9', CUST_NO: 'C-1', AMOUNT: '250.00', CURRENCY: 'EUR', LINE: [{ SKU: 'W-1', QTY: '2', PRICE: '125.00' }],
      }) as [Record<string, unknown>];
      const receipt = sim.receipts()[0];
      expect(receipt?.operation === 'CreateSalesOrder' && receipt.fields.AMOUNT).to.equal('250.00');
      expect(receipt?.operation === 'CreateSalesOrder' && receipt.fields.LINE[0]?.PRICE).to.equal('125.00');
      // node-soap's own parsing of xsd:decimal loses the trailing zeros (its issue #1299).
      expect(result['AMOUNT']).to.equal(250);
    });

    it('books a new order number for every call (not idempotent)', async function () {
      expect(tag(await (await post(envelope(orderXml(), 'o-1'))).text(), 'ERP_ORDER_NO')).to.equal('SO-000001');
      expect(tag(await (await post(envelope(orderXml(), 'o-1'))).text(), 'ERP_ORDER_NO')).to.equal('SO-000002');
      expect(sim.stats().duplicates).to.deep.equal(['o-1']);
    });
  });

  describe('validation (Client faults, nothing recorded)', function () {
    const cases: Array<[string, string, string, string | undefined]> = [
      ['an empty CUST_NAME', envelope(customerXml({ CUST_NAME: '  ' })), 'CUST_NAME must not be empty', 'CUST_NAME'],
      ['a missing CUST_NO', envelope(customerXml().replace('<e:CUST_NO>C-1</e:CUST_NO>', '')), 'CUST_NO is required', 'CUST_NO'],
      ['a STAT other than A or I', envelope(customerXml({ STAT: 'X' })), 'STAT must be A or I, got "X"', 'STAT'],
      ['an unknown field', envelope(customerXml({ FAX: '1' })), 'unexpected element FAX', 'FAX'],
      ['a repeated field', envelope(customerXml({ TEL: '1</e:TEL><e:TEL>2' })), 'TEL must occur once', 'TEL'],
      ['an AMOUNT that is not a decimal', envelope(orderXml('12,50')), 'AMOUNT must be a decimal number, got "12,50"', 'AMOUNT'],
      ['a bad QTY in the second line', envelope(orderXml('1', '<LINE><SKU>A</SKU><QTY>1</QTY><PRICE>1</PRICE></LINE><LINE><SKU>B</SKU><QTY>two</QTY><PRICE>1</PRICE></LINE>')),
        'LINE[2].QTY must be a decimal number, got "two"', 'LINE[2].QTY'],
      ['an order without lines', envelope(orderXml('1', '')), 'LINE is required (at least one order line)', 'LINE'],
    ];
    for (const [what, xml, faultstring, field] of cases) {
      it(`refuses ${what}`, async function () {
        const text = await expectFault(await post(xml), 'Client', field === 'FAX' || field === 'TEL' ? 'UNEXPECTED_ELEMENT' : 'VALIDATION');
        expect(tag(text, 'faultstring')).to.equal(faultstring.replace(/"/g, '&quot;'));
        expect(tag(text, 'FIELD')).to.equal(field);
        expect(sim.receipts()).to.have.length(0);
      });
    }

    it('refuses malformed XML, a DTD, an unknown operation and a foreign envelope', async function () {
      await expectFault(await post('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'), 'Client', 'MALFORMED_XML');
      await expectFault(await post(`<!DOCTYPE x [<!ENTITY e "boom">]>${envelope(customerXml({ CUST_NAME: '&e;' }))}`), 'Client', 'DTD_NOT_ALLOWED');
      await expectFault(await post(envelope(`<DeleteCustomer xmlns="${ERP_NS}"/>`)), 'Client', 'UNKNOWN_OPERATION');
      await expectFault(await post('<Envelope><Body/></Envelope>'), 'Client', 'NOT_SOAP');
      const soap12 = envelope(customerXml()).replace(SOAP_NS, 'http://www.w3.org/2003/05/soap-envelope');
      await expectFault(await post(soap12), 'VersionMismatch', 'VERSION_MISMATCH');
      expect(sim.stats()).to.deep.equal({ received: 0, distinct: 0, duplicates: [], attempts: 5 });
    });

    it('refuses a mustUnderstand header it does not know, and a SOAPAction for another operation', async function () {
      const strict = envelope(customerXml()).replace('</soap:Header>', `<x:Security xmlns:x="urn:x" soap:mustUnderstand="1"/></soap:Header>`);
      await expectFault(await post(strict), 'MustUnderstand', 'MUST_UNDERSTAND');
      await expectFault(await post(envelope(customerXml()), { soapaction: `"${ERP_NS}/CreateSalesOrder"` }), 'Client', 'SOAP_ACTION_MISMATCH');
      expect((await post(envelope(customerXml()), { soapaction: `"${ERP_NS}/CreateOrUpdateCustomer"` })).status).to.equal(200);
      expect((await post(envelope(customerXml()), { soapaction: '""' })).status).to.equal(200);
    });

    it('answers 415 to a content type other than text/xml', async function () {
      const res = await post(envelope(customerXml()), { 'content-type': 'application/soap+xml; charset=utf-8' });
      expect(res.status).to.equal(415);
      expect(sim.receipts()).to.have.length(0);
    });
  });

  describe('behaviour', function () {
    it('failNext: N Server faults, then recovers', async function () {
      sim.setBehaviour({ failNext: 2 });
      const text = await expectFault(await post(envelope(customerXml())), 'Server', 'SIMULATED_FAILURE');
      expect(tag(text, 'faultstring')).to.match(/temporarily unavailable/);
      await expectFault(await post(envelope(customerXml())), 'Server', 'SIMULATED_FAILURE');
      expect((await post(envelope(customerXml()))).status).to.equal(200);
      expect(sim.getBehaviour()).to.include({ failNext: 0, faultCode: null });
      expect(sim.stats()).to.deep.equal({ received: 1, distinct: 1, duplicates: [], attempts: 3 });
    });

    it('faultCode: every call faults with that code until cleared', async function () {
      sim.setBehaviour({ faultCode: 'Client' });
      await expectFault(await post(envelope(customerXml())), 'Client', 'SIMULATED_REJECTION');
      await expectFault(await post(envelope(customerXml())), 'Client', 'SIMULATED_REJECTION');
      sim.setBehaviour({ faultCode: 'Server' });
      await expectFault(await post(envelope(customerXml())), 'Server', 'SIMULATED_FAILURE');
      sim.setBehaviour({ faultCode: null });
      expect((await post(envelope(customerXml()))).status).to.equal(200);
    });

    it('faultCode with failNext: N faults of that code, then both are cleared', async function () {
      sim.setBehaviour({ faultCode: 'Client', failNext: 1 });
      await expectFault(await post(envelope(customerXml())), 'Client', 'SIMULATED_REJECTION');
      expect((await post(envelope(customerXml()))).status).to.equal(200);
    });

    it('delayMs: twenty calls at once, without a MaxListenersExceededWarning (they pause on one signal)', async function () {
      sim.setBehaviour({ delayMs: 100 });
      const warnings = await warningsDuring(async () => {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(envelope(customerXml()), { 'x-junction-message-id': `many-${i}` })));
        expect(answers.map((r) => r.status)).to.deep.equal(Array.from({ length: 20 }, () => 200));
      });
      expect(warnings).to.deep.equal([]);
    });

    it('delayMs: a caller that gives up during the delay gets nothing applied', async function () {
      sim.setBehaviour({ delayMs: 300 });
      let failed = false;
      await post(envelope(customerXml()), {}, AbortSignal.timeout(100)).catch(() => { failed = true; });
      expect(failed).to.equal(true);
      await new Promise((r) => setTimeout(r, 400));
      expect(sim.stats()).to.include({ received: 0, attempts: 1 });
      const started = Date.now();
      expect((await post(envelope(customerXml()))).status).to.equal(200);
      expect(Date.now() - started).to.be.at.least(250);
      expect(sim.stats().received).to.equal(1);
    });

    it('applyThenDelayMs: records the call, then stalls past the caller\'s patience', async function () {
      sim.setBehaviour({ applyThenDelayMs: 2000 });
      let failed = false;
      await post(envelope(customerXml(), 'slow-1'), {}, AbortSignal.timeout(200)).catch(() => { failed = true; });
      expect(failed).to.equal(true);
      expect(sim.receipts().map((r) => r.messageId)).to.deep.equal(['slow-1']);
    });

    it('down: destroys the socket for calls and for ?wsdl, until switched back', async function () {
      sim.setBehaviour({ down: true });
      let failures = 0;
      await post(envelope(customerXml())).catch(() => { failures += 1; });
      await fetch(sim.wsdlUrl).catch(() => { failures += 1; });
      expect(failures).to.equal(2);
      expect(sim.stats()).to.include({ received: 0, attempts: 1 });
      sim.setBehaviour({ down: false });
      expect((await post(envelope(customerXml()))).status).to.equal(200);
    });

    it('rejects invalid behaviour programmatically, listing every problem', function () {
      expect(() => sim.setBehaviour({ faultCode: 'Sender' as never, delayMs: -1 })).to.throw(BehaviourValidationError, /faultCode must be "Client", "Server" or null; delayMs must be an integer/);
    });
  });

  describe('control API over HTTP', function () {
    it('PUT /_sim/behaviour, GET stats and receipts, POST reset', async function () {
      const put = await fetch(`${url}/_sim/behaviour`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"failNext":1}' });
      expect(put.status).to.equal(200);
      expect(await put.json()).to.deep.equal({ faultCode: null, failNext: 1, delayMs: 0, applyThenDelayMs: 0, down: false });
      await expectFault(await post(envelope(customerXml())), 'Server', 'SIMULATED_FAILURE');
      expect((await post(envelope(customerXml(), 'h-1'))).status).to.equal(200);

      expect(await (await fetch(`${url}/_sim/stats`)).json()).to.deep.equal({ received: 1, distinct: 1, duplicates: [], attempts: 2 });
      const receipts = await (await fetch(`${url}/_sim/receipts`)).json() as Array<Record<string, unknown>>;
      expect(receipts.map((r) => [r['messageId'], r['operation']])).to.deep.equal([['h-1', 'CreateOrUpdateCustomer']]);

      expect((await fetch(`${url}/_sim/reset`, { method: 'POST' })).status).to.equal(204);
      expect(await (await fetch(`${url}/_sim/stats`)).json()).to.deep.equal({ received: 0, distinct: 0, duplicates: [], attempts: 0 });
    });

    it('refuses invalid behaviour with 400 and a non-JSON body with 415', async function () {
      const bad = await fetch(`${url}/_sim/behaviour`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"down":"yes","nope":1}' });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { problems: string[] }).problems).to.deep.equal(['down must be a boolean', 'unknown key "nope"']);
      const text = await fetch(`${url}/_sim/behaviour`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'down' });
      expect(text.status).to.equal(415);
    });
  });
});
