import { expect } from 'chai';
import { expectFault11, expectFault12 } from './fault-assertions';
import {
  CRM_NS, elements, envelope11, envelope12, orderBody, post, post11, post12, startSoapServer, STATUS_BODY, text, UPSERT_BODY, type SoapTestServer,
} from './soap-test-server';

const WSA = 'http://www.w3.org/2005/08/addressing';
const WSA04 = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const ANONYMOUS = `${WSA}/anonymous`;

/** WS-Addressing request headers as JAX-WS and WCF write them (mustUnderstand on Action and To). */
function addressing(action: string, options: { ns?: string; env?: string; messageId?: string; replyTo?: string } = {}): string {
  const ns = options.ns ?? WSA;
  const mu = `${options.env ?? 'soap'}:mustUnderstand="1"`;
  return `<wsa:Action xmlns:wsa="${ns}" ${mu}>${action}</wsa:Action>`
    + `<wsa:MessageID xmlns:wsa="${ns}">${options.messageId ?? 'urn:uuid:6b29fc40-ca47-1067-b31d-00dd010662da'}</wsa:MessageID>`
    + `<wsa:ReplyTo xmlns:wsa="${ns}"><wsa:Address>${options.replyTo ?? (ns === WSA ? ANONYMOUS : `${WSA04}/role/anonymous`)}</wsa:Address></wsa:ReplyTo>`
    + `<wsa:To xmlns:wsa="${ns}" ${mu}>http://localhost/soap/crm</wsa:To>`;
}

describe('SOAP gateway: WS-Addressing', () => {
  let server: SoapTestServer;

  before(async () => { server = await startSoapServer(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());

  it('understands the headers (mustUnderstand), answers with Action, its own MessageID and RelatesTo (SOAP 1.1, the WSDL\'s soapAction)', async () => {
    const res = await post11(server.url, envelope11(UPSERT_BODY, addressing(`${CRM_NS}/UpsertCustomer`)), `"${CRM_NS}/UpsertCustomer"`);
    expect(res.status, res.text).to.equal(200);
    expect(server.calls).to.have.length(1);
    expect(text(res.text, WSA, 'Action')).to.equal('urn:junction:crm:v1:CrmPortType:UpsertCustomerResponse');
    expect(text(res.text, WSA, 'RelatesTo')).to.equal('urn:uuid:6b29fc40-ca47-1067-b31d-00dd010662da');
    expect(text(res.text, WSA, 'MessageID')).to.match(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(text(res.text, WSA, 'To')).to.equal(ANONYMOUS);
    expect(elements(res.text, CRM_NS, 'UpsertCustomerResponse')).to.have.length(1);
  });

  it('takes the default input action (SOAP 1.2, no action parameter) and the August 2004 version WCF offers', async () => {
    const res = await post12(server.url, envelope12(UPSERT_BODY, addressing('urn:junction:crm:v1:CrmPortType:UpsertCustomerRequest', { env: 'env' })));
    expect(res.status, res.text).to.equal(200);
    expect(text(res.text, WSA, 'Action')).to.equal('urn:junction:crm:v1:CrmPortType:UpsertCustomerResponse');
    const old = await post11(server.url, envelope11(STATUS_BODY, addressing(`${CRM_NS}/GetMessageStatus`, { ns: WSA04, messageId: 'uuid:42' })), '""');
    expect(old.status, old.text).to.equal(200);
    expect(text(old.text, WSA04, 'RelatesTo')).to.equal('uuid:42');
    expect(text(old.text, WSA04, 'Action')).to.equal('urn:junction:crm:v1:CrmPortType:GetMessageStatusResponse');
    expect(text(old.text, WSA04, 'To')).to.equal(`${WSA04}/role/anonymous`);
  });

  it('answers a request without WS-Addressing without its headers', async () => {
    const res = await post11(server.url, envelope11(UPSERT_BODY), '""');
    expect(res.status).to.equal(200);
    expect(elements(res.text, WSA, 'Action')).to.have.length(0);
  });

  it('a fault carries the fault action and RelatesTo; an action of another operation, a SOAPAction that differs, a callback address are refused', async () => {
    const wrong = await post11(server.url, envelope11(UPSERT_BODY, addressing(`${CRM_NS}/SubmitOrder`)), '""');
    const fault = expectFault11(wrong, 'Client', 'JCT_SOAP_OPERATION_UNKNOWN');
    expect(fault.reason).to.contain(`wsa:Action "${CRM_NS}/SubmitOrder" is not an action of operation UpsertCustomer`);
    expect(text(wrong.text, WSA, 'Action')).to.equal(`${WSA}/soap/fault`);
    expect(text(wrong.text, WSA, 'RelatesTo')).to.equal('urn:uuid:6b29fc40-ca47-1067-b31d-00dd010662da');
    // Both name UpsertCustomer, but WS-Addressing wants the SOAPAction empty or equal to wsa:Action.
    const differ = await post11(server.url, envelope11(UPSERT_BODY, addressing('urn:junction:crm:v1:CrmPortType:UpsertCustomerRequest')), `"${CRM_NS}/UpsertCustomer"`);
    expect(expectFault11(differ, 'Client', 'JCT_REQUEST_MALFORMED').reason).to.contain('and the SOAPAction');
    const callback = await post12(server.url, envelope12(UPSERT_BODY, addressing(`${CRM_NS}/UpsertCustomer`, { env: 'env', replyTo: 'http://crm.example/callback' })));
    expect(expectFault12(callback, 'Sender', 'JCT_REQUEST_MALFORMED').reason).to.contain('Junction answers on the same connection only');
    expect(server.calls).to.have.length(0);
  });

  it('hands dispatch the MessageID and the HTTP Idempotency-Key header as sent; a replayed answer carries Idempotent-Replayed: true', async () => {
    server.handler = async (call) => ({ kind: 'reply', messageId: 'first-1', payload: '{"customerId":"C-42","erpCustomerNo":"ERP-1","syncedAt":"2026-11-05T10:15:00Z"}', replayed: call.idempotencyKeyHeader === 'K-9' });
    const body = envelope11(UPSERT_BODY, addressing(`${CRM_NS}/UpsertCustomer`, { messageId: '  urn:uuid:0000000a-0000-4000-8000-000000000001 ' }));
    const first = await post(server.url, body, { 'content-type': 'text/xml; charset=utf-8', 'idempotency-key': 'K-1' });
    expect(first.status, first.text).to.equal(200);
    expect(first.headers.get('idempotent-replayed')).to.equal(null);
    expect(server.calls[0]).to.deep.include({ addressingMessageId: 'urn:uuid:0000000a-0000-4000-8000-000000000001', idempotencyKeyHeader: 'K-1' });
    const repeat = await post(server.url, body, { 'content-type': 'text/xml; charset=utf-8', 'idempotency-key': 'K-9' });
    expect(repeat.status, repeat.text).to.equal(200);
    expect(repeat.headers.get('idempotent-replayed')).to.equal('true');
    expect(repeat.headers.get('x-junction-message-id')).to.equal('first-1');
    // WS-Addressing answers this request: RelatesTo its MessageID, whichever request the reply came from.
    expect(text(repeat.text, WSA, 'RelatesTo')).to.equal('urn:uuid:0000000a-0000-4000-8000-000000000001');
    const plain = await post11(server.url, envelope11(UPSERT_BODY), '""');
    expect(plain.status).to.equal(200);
    expect(server.calls[2]).to.not.have.any.keys('addressingMessageId', 'idempotencyKeyHeader');
  });

  it('a one-way repeat answers 202 with the first message id and Idempotent-Replayed: true', async () => {
    server.handler = async () => ({ kind: 'accepted', messageId: 'first-2', replayed: true });
    const res = await post(server.url, envelope11(orderBody()), { 'content-type': 'text/xml; charset=utf-8', 'idempotency-key': 'K-2' });
    expect(res.status, res.text).to.equal(202);
    expect(res.text).to.equal('');
    expect(res.headers.get('idempotent-replayed')).to.equal('true');
    expect(res.headers.get('x-junction-message-id')).to.equal('first-2');
  });
});
