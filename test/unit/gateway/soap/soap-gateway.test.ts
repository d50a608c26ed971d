import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { JunctionError } from '../../../../src/core/errors';
import { expectFault11, expectFault12 } from './fault-assertions';
import {
  brokerDown, CRM_NS, elements, envelope11, envelope12, orderBody, post11, post12, startSoapServer, STATUS_BODY, text,
  UPSERT_BODY, xmlDocument, SOAP11_NS, SOAP12_NS, type SoapTestServer,
} from './soap-test-server';

const fixture = (name: string): string => readFileSync(`test/fixtures/soap/${name}`, 'utf8');
const ACTION = (op: string): string => `urn:junction:crm:v1/${op}`;

describe('SOAP gateway: calls (raw HTTP, fake dispatch)', () => {
  let server: SoapTestServer;

  before(async () => { server = await startSoapServer(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  describe('request-response', () => {
    it('answers a SOAP 1.1 UpsertCustomer with the response element, in the schema namespace and order', async () => {
      const res = await post11(server.url, fixture('upsert-customer.soap11.xml'), `"${ACTION('UpsertCustomer')}"`);
      expect(res.status, res.text).to.equal(200);
      expect(res.contentType).to.equal('text/xml; charset=utf-8');
      expect(res.headers.get('x-junction-message-id')).to.equal('msg-UpsertCustomer');
      const document = xmlDocument(res.text);
      expect(document.documentElement?.namespaceURI).to.equal(SOAP11_NS);
      const [response] = elements(document, CRM_NS, 'UpsertCustomerResponse');
      expect(response?.parentNode?.localName).to.equal('Body');
      expect([...response!.childNodes].map((n) => `${n.namespaceURI}|${n.localName}|${n.textContent}`)).to.deep.equal([
        `${CRM_NS}|customerId|C-42`, `${CRM_NS}|erpCustomerNo|ERP-000123`, `${CRM_NS}|syncedAt|2026-11-05T10:15:00.123+01:00`,
      ]);
      const [call] = server.calls;
      expect(call).to.deep.include({ service: 'crm', operation: 'UpsertCustomer', oneWay: false, version: '1.1' });
      expect(call?.payload).to.equal('{"customerId":"C-42","name":"Ada Lovelace","email":"ada@example.com","status":"ACTIVE"}');
      expect(call?.soapHeaders).to.deep.equal({ MessageId: 'CRM-MSG-0001' });
      expect(call?.requestId).to.equal(res.headers.get('x-request-id'));
    });

    it('answers a SOAP 1.2 UpsertCustomer (default namespace, action parameter) in a 1.2 envelope', async () => {
      const res = await post12(server.url, fixture('upsert-customer.soap12.xml'), ACTION('UpsertCustomer'));
      expect(res.status, res.text).to.equal(200);
      expect(res.contentType).to.equal('application/soap+xml; charset=utf-8');
      expect(xmlDocument(res.text).documentElement?.namespaceURI).to.equal(SOAP12_NS);
      expect(text(res.text, CRM_NS, 'erpCustomerNo')).to.equal('ERP-000123');
      expect(server.calls[0]).to.deep.include({ version: '1.2', operation: 'UpsertCustomer' });
      expect(server.calls[0]?.payload).to.equal('{"customerId":"C-43","name":"Grace Hopper","phone":"+1 555 0100","status":"INACTIVE"}');
    });

    it('writes the reply JSON exactly: numbers keep their text, strings are escaped, optional fields follow the schema', async () => {
      server.handler = async () => ({
        kind: 'reply', messageId: 'm-1',
        payload: '{"syncedAt":"2026-11-05T10:15:00Z","erpCustomerNo":12345678901234567890123.450,"customerId":"250.00"}',
      });
      const res = await post11(server.url, envelope11(UPSERT_BODY), '""');
      expect(res.status, res.text).to.equal(200);
      expect(res.text).to.contain('<crm:customerId>250.00</crm:customerId><crm:erpCustomerNo>12345678901234567890123.450</crm:erpCustomerNo><crm:syncedAt>2026-11-05T10:15:00Z</crm:syncedAt>');
    });

    it('answers GetMessageStatus with a number as xsd:int and an optional complex element, escaped', async () => {
      const res = await post11(server.url, envelope11(STATUS_BODY), `"${ACTION('GetMessageStatus')}"`);
      expect(res.status, res.text).to.equal(200);
      expect(text(res.text, CRM_NS, 'attempts')).to.equal('3');
      expect(text(res.text, CRM_NS, 'message')).to.equal('ERP answered HTTP 400 & <refused>');
      server.handler = async () => ({ kind: 'reply', messageId: 'm-2', payload: '{"status":"DELIVERED","attempts":1,"lastError":null}' });
      const delivered = await post11(server.url, envelope11(STATUS_BODY), undefined);
      expect(delivered.status).to.equal(200);
      expect(elements(delivered.text, CRM_NS, 'lastError')).to.have.length(0);
    });

    it('turns a reply that does not fit the response element into a Server fault carrying the message id', async () => {
      server.handler = async () => ({ kind: 'reply', messageId: 'm-bad', payload: '{"customerId":"C-42","syncedAt":"2026-11-05T10:15:00Z","colour":"red"}' });
      const fault = expectFault11(await post11(server.url, envelope11(UPSERT_BODY), '""'), 'Server', 'JCT_TRANSFORM_FAILED');
      expect(fault.messageId).to.equal('m-bad');
      expect(fault.reason).to.contain('colour');
    });
  });

  describe('one-way', () => {
    it('answers SubmitOrder with 202 and an empty body; decimals reach dispatch exactly, lines is always a list', async () => {
      const res = await post11(server.url, fixture('submit-order.soap11.xml'), `"${ACTION('SubmitOrder')}"`);
      expect(res.status, res.text).to.equal(202);
      expect(res.text).to.equal('');
      expect(res.headers.get('content-length')).to.equal('0');
      expect(res.headers.get('x-junction-message-id')).to.equal('msg-accepted-1');
      const [call] = server.calls;
      expect(call).to.deep.include({ operation: 'SubmitOrder', oneWay: true });
      expect(call?.payload).to.equal('{"orderId":"SO-1001","customerId":"C-42","amount":"250.00","currency":"EUR","lines":[{"sku":"WIDGET-1","qty":"2","price":"1234567890123456789012.345"}]}');
      expect(JSON.parse(call!.payload)).to.deep.include({ amount: '250.00' });
    });

    it('keeps a 25-digit decimal and collapses whitespace around decimals but not inside strings', async () => {
      const lines = '<c:lines><c:sku>A</c:sku><c:qty>\n 1.000 \n</c:qty><c:price>0.1000000000000000000000001</c:price></c:lines>'
        + '<c:lines><c:sku>B</c:sku><c:qty>2</c:qty><c:price>3</c:price></c:lines>';
      const res = await post12(server.url, envelope12(orderBody('1234567890123456789012345', lines)));
      expect(res.status, res.text).to.equal(202);
      const payload = JSON.parse(server.calls[0]!.payload) as { amount: string; lines: { qty: string; price: string }[] };
      expect(payload.amount).to.equal('1234567890123456789012345');
      expect(payload.lines.map((l) => [l.qty, l.price])).to.deep.equal([['1.000', '0.1000000000000000000000001'], ['2', '3']]);
    });
  });

  describe('actions', () => {
    it('accepts an empty SOAPAction (""), a missing one and an unquoted one', async () => {
      for (const action of ['""', undefined, ACTION('UpsertCustomer')]) {
        const res = await post11(server.url, envelope11(UPSERT_BODY), action);
        expect(res.status, `${action}: ${res.text}`).to.equal(200);
      }
      expect(server.calls).to.have.length(3);
    });

    it('refuses a SOAPAction header that contradicts the body element (1.1)', async () => {
      const fault = expectFault11(await post11(server.url, envelope11(UPSERT_BODY), `"${ACTION('SubmitOrder')}"`), 'Client', 'JCT_SOAP_OPERATION_UNKNOWN');
      expect(fault.reason).to.contain(`SOAPAction "${ACTION('SubmitOrder')}"`).and.contain('contradicts the body element UpsertCustomerRequest');
      expect(server.calls).to.have.length(0);
    });

    it('refuses a 1.2 action parameter that contradicts the body element', async () => {
      const fault = expectFault12(await post12(server.url, envelope12(UPSERT_BODY), ACTION('GetMessageStatus')), 'Sender', 'JCT_SOAP_OPERATION_UNKNOWN');
      expect(fault.reason).to.contain('contradicts the body element UpsertCustomerRequest (operation UpsertCustomer)');
    });

    it('refuses an unknown action and an unknown body element, listing the operations', async () => {
      const unknownAction = expectFault11(await post11(server.url, envelope11(UPSERT_BODY), '"urn:nope"'), 'Client', 'JCT_SOAP_OPERATION_UNKNOWN');
      expect(unknownAction.reason).to.contain('"urn:nope" names no operation');
      const wrongNs = envelope11('<x:UpsertCustomerRequest xmlns:x="urn:junction:crm:v2"><x:customerId>C</x:customerId></x:UpsertCustomerRequest>');
      const unknownElement = expectFault11(await post11(server.url, wrongNs, '""'), 'Client', 'JCT_SOAP_OPERATION_UNKNOWN');
      expect(unknownElement.reason).to.contain('{urn:junction:crm:v2}UpsertCustomerRequest is not a request of service CrmService')
        .and.contain('UpsertCustomer (element UpsertCustomerRequest, SOAPAction "urn:junction:crm:v1/UpsertCustomer")')
        .and.contain('SubmitOrder').and.contain('GetMessageStatus');
      const unknown12 = expectFault12(await post12(server.url, envelope12('<Ping xmlns="urn:x"/>')), 'Sender', 'JCT_SOAP_OPERATION_UNKNOWN');
      expect(unknown12.reason).to.contain('{urn:x}Ping');
      expect(server.calls).to.have.length(0);
    });
  });

  describe('envelope tolerance and headers', () => {
    it('tolerates soap:encodingStyle on the Envelope (old clients send it)', async () => {
      const body = envelope11(UPSERT_BODY, '', ' soap:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"');
      const res = await post11(server.url, body, '""');
      expect(res.status, res.text).to.equal(200);
    });

    it('passes simple header elements to dispatch and ignores complex ones and those for other actors', async () => {
      const header = '<h:MessageId xmlns:h="urn:x">  M-7  </h:MessageId><h:IdempotencyKey xmlns:h="urn:x">K-1</h:IdempotencyKey>'
        + '<h:Complex xmlns:h="urn:x"><h:a>1</h:a></h:Complex>'
        + `<h:ForProxy xmlns:h="urn:x" soap:actor="urn:some-proxy" soap:mustUnderstand="1">p</h:ForProxy>`;
      const res = await post11(server.url, envelope11(UPSERT_BODY, header), '""');
      expect(res.status, res.text).to.equal(200);
      expect(server.calls[0]?.soapHeaders).to.deep.equal({ MessageId: 'M-7', IdempotencyKey: 'K-1' });
    });

    it('takes a header sent xsi:nil (a declared header a generated client left unset) as absent, not as an empty value', async () => {
      const xsi = 'xmlns:i="http://www.w3.org/2001/XMLSchema-instance"';
      const header = `<h:IdempotencyKey xmlns:h="urn:junction:crm:v1" ${xsi} i:nil="true"/>`
        + `<h:CorrelationId xmlns:h="urn:junction:crm:v1" ${xsi} i:nil="1"></h:CorrelationId>`
        + `<h:MessageId xmlns:h="urn:x" ${xsi} i:nil="false">M-8</h:MessageId>`;
      const res = await post11(server.url, envelope11(UPSERT_BODY, header), '""');
      expect(res.status, res.text).to.equal(200);
      expect(server.calls[0]?.soapHeaders).to.deep.equal({ MessageId: 'M-8' });
    });

    it('answers a mustUnderstand header it does not process with a MustUnderstand fault (1.1 and 1.2)', async () => {
      const header11 = '<w:Security xmlns:w="urn:wsse" soap:mustUnderstand="1"><w:Token>t</w:Token></w:Security>';
      const fault11 = expectFault11(await post11(server.url, envelope11(UPSERT_BODY, header11), '""'), 'MustUnderstand', undefined);
      expect(fault11.reason).to.contain('{urn:wsse}Security');
      const header12 = '<w:Security xmlns:w="urn:wsse" env:mustUnderstand="true"/>';
      const res12 = await post12(server.url, envelope12(UPSERT_BODY, header12));
      expectFault12(res12, 'MustUnderstand', undefined);
      const [notUnderstood] = elements(res12.text, SOAP12_NS, 'NotUnderstood');
      const [prefix, local] = (notUnderstood?.getAttribute('qname') ?? '').split(':');
      expect([notUnderstood?.lookupNamespaceURI(prefix ?? null), local]).to.deep.equal(['urn:wsse', 'Security']);
      expect(server.calls).to.have.length(0);
    });
  });

  describe('dispatch failures', () => {
    it('turns a 503-class JunctionError into a 1.1 Server fault with the message id, retryable, Retry-After', async () => {
      server.handler = async () => { throw brokerDown('msg-503'); };
      const res = await post11(server.url, envelope11(orderBody()), '""');
      const fault = expectFault11(res, 'Server', 'JCT_BROKER_UNAVAILABLE');
      expect(fault).to.deep.include({ messageId: 'msg-503', retryable: 'true', requestId: res.headers.get('x-request-id') });
      expect(fault.reason).to.contain('Try again shortly');
      expect(res.headers.get('retry-after')).to.equal('5');
    });

    it('turns the same error into a 1.2 Receiver fault (HTTP 500) with a Subcode', async () => {
      server.handler = async () => { throw brokerDown('msg-503b'); };
      const fault = expectFault12(await post12(server.url, envelope12(orderBody())), 'Receiver', 'JCT_BROKER_UNAVAILABLE');
      expect(fault.messageId).to.equal('msg-503b');
    });

    it('turns a 4xx JunctionError from dispatch into a Client / Sender fault', async () => {
      server.handler = async () => { throw new JunctionError('JCT_VALIDATION_FAILED', 'Customer C-42 is blocked in the ERP.', { details: { messageId: 'm-4' } }); };
      expect(expectFault11(await post11(server.url, envelope11(UPSERT_BODY), '""'), 'Client', 'JCT_VALIDATION_FAILED').messageId).to.equal('m-4');
      expectFault12(await post12(server.url, envelope12(UPSERT_BODY)), 'Sender', 'JCT_VALIDATION_FAILED');
    });

    it('hides a plain Error behind "internal error, quote request id" (1.1 and 1.2)', async () => {
      server.handler = async () => { throw new Error('ECONNREFUSED 10.1.2.3:3306 password=hunter2'); };
      const res = await post11(server.url, envelope11(UPSERT_BODY), '""');
      const fault = expectFault11(res, 'Server', 'JCT_INTERNAL');
      const id = res.headers.get('x-request-id') ?? '';
      expect(fault.reason).to.equal(`Internal error; quote request id ${id} to your Junction operator.`);
      expect(fault.requestId).to.equal(id);
      expect(res.text).to.not.contain('ECONNREFUSED').and.not.contain('hunter2');
      const res12 = await post12(server.url, envelope12(UPSERT_BODY));
      expect(expectFault12(res12, 'Receiver', 'JCT_INTERNAL').reason).to.contain('quote request id');
      expect(res12.text).to.not.contain('hunter2');
    });
  });
});
