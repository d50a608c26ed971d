import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { LoadedConfig } from '../../src/config/load-config';
import { REPLY_STAGE } from '../../src/gateway/message-intake';
import { zeepCall } from '../support/crm-clients';
import { startDemoStack, type DemoStack } from '../support/demo-stack';
import { eventually, request, type TestResponse } from '../support/http';

const CRM_NS = 'urn:junction:crm:v1';
const WSA = 'http://www.w3.org/2005/08/addressing';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

/** `soap.services.crm.idempotency: messageId` on the demo configuration. */
function messageIdOptIn(loaded: LoadedConfig): LoadedConfig {
  const { config } = loaded;
  const crm = config.soap.services.crm!;
  return { ...loaded, config: { ...config, soap: { ...config.soap, services: { ...config.soap.services, crm: { ...crm, idempotency: 'messageId' } } } } };
}

function order(orderId: string, amount = '250.00'): string {
  return `<o:SubmitOrderRequest xmlns:o="${CRM_NS}"><o:orderId>${orderId}</o:orderId><o:customerId>C-42</o:customerId>`
    + `<o:amount>${amount}</o:amount><o:currency>EUR</o:currency><o:lines><o:sku>W-1</o:sku><o:qty>2</o:qty><o:price>125.00</o:price></o:lines></o:SubmitOrderRequest>`;
}

function customer(customerId: string): string {
  return `<c:UpsertCustomerRequest xmlns:c="${CRM_NS}"><c:customerId>${customerId}</c:customerId><c:name>Ada Lovelace</c:name><c:status>ACTIVE</c:status></c:UpsertCustomerRequest>`;
}

/** WS-Addressing headers as a JAX-WS or WCF client writes them, with the given MessageID. */
function addressing(action: string, messageId: string): string {
  return `<wsa:Action xmlns:wsa="${WSA}">${action}</wsa:Action><wsa:MessageID xmlns:wsa="${WSA}">${messageId}</wsa:MessageID>`
    + `<wsa:ReplyTo xmlns:wsa="${WSA}"><wsa:Address>${WSA}/anonymous</wsa:Address></wsa:ReplyTo>`;
}

interface Call { readonly version?: '1.1' | '1.2'; readonly header?: string; readonly key?: string }

/** POSTs one SOAP request to the crm service of `stack`. */
function soapPost(stack: DemoStack, body: string, call: Call = {}): Promise<TestResponse> {
  const v12 = call.version === '1.2';
  const ns = v12 ? SOAP12 : SOAP11;
  const envelope = `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${ns}">${call.header ? `<s:Header>${call.header}</s:Header>` : ''}<s:Body>${body}</s:Body></s:Envelope>`;
  return request(`${stack.base}/soap/crm`, {
    method: 'POST',
    headers: {
      'content-type': v12 ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8',
      ...(call.key !== undefined ? { 'idempotency-key': call.key } : {}),
    },
    body: envelope,
  });
}

describe('SOAP idempotency end to end on RabbitMQ and MariaDB: Idempotency-Key header, wsa:MessageID (opt-in per service)', function () {
  this.timeout(120_000);
  /** The demo configuration as shipped: keys only. */
  let plain: DemoStack;
  /** The same with `soap.services.crm.idempotency: messageId`. */
  let optIn: DemoStack;

  before(async () => {
    [plain, optIn] = await Promise.all([startDemoStack({ servers: 'real' }), startDemoStack({ servers: 'real', adjust: messageIdOptIn })]);
  });
  after(async () => {
    await Promise.all([plain?.close(), optIn?.close()]);
  });
  beforeEach(() => {
    for (const stack of [plain, optIn]) {
      stack.erp.reset();
      stack.oa.reset();
    }
  });

  const messagesOf = (stack: DemoStack, routeId: string, businessKey: string) => stack.app.log.find({ routeId, businessKey });
  const delivered = (stack: DemoStack, id: string) => eventually(async () => ((await stack.app.log.load(id))?.status === 'DELIVERED' ? true : undefined));

  /**
   * Sends SubmitOrder twice as `call` says and checks that the repeat was answered as one: 202,
   * the first message's id, Idempotent-Replayed; one message for the order, delivered once. Returns its id.
   */
  async function orderSentTwice(stack: DemoStack, orderId: string, call: Call): Promise<string> {
    const first = await soapPost(stack, order(orderId), call);
    expect(first.status, first.text).to.equal(202);
    expect(first.headers.get('idempotent-replayed')).to.equal(null);
    const id = String(first.headers.get('x-junction-message-id'));
    const again = await soapPost(stack, order(orderId), call);
    expect(again.status, again.text).to.equal(202);
    expect(again.text).to.equal('');
    expect(again.headers.get('x-junction-message-id')).to.equal(id);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    await delivered(stack, id);
    expect((await messagesOf(stack, 'submit-order', orderId)).map((m) => m.id)).to.deep.equal([id]);
    expect(stack.erp.receipts().filter((r) => r.messageId === id)).to.have.length(1);
    return id;
  }

  it('one-way, the HTTP Idempotency-Key header sent twice: one message, the same id, the repeat marked Idempotent-Replayed; delivered once', async () => {
    const key = randomUUID();
    const id = await orderSentTwice(plain, 'SO-IK-1', { key });
    expect((await plain.app.log.load(id))?.idempotencyKey).to.equal(key);
  });

  it('request-reply, the header sent twice (SOAP 1.2): the same reply byte for byte from the log; the ERP is called once', async () => {
    const key = randomUUID();
    const first = await soapPost(plain, customer('C-IK-2'), { key, version: '1.2' });
    expect(first.status, first.text).to.equal(200);
    expect(first.text).to.match(/<\w+:erpCustomerNo>ERP-\d+</);
    const id = String(first.headers.get('x-junction-message-id'));
    const again = await soapPost(plain, customer('C-IK-2'), { key, version: '1.2' });
    expect(again.status, again.text).to.equal(200);
    expect(again.text).to.equal(first.text);
    expect(again.headers.get('x-junction-message-id')).to.equal(id);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect(plain.erp.stats().attempts).to.equal(1);
    expect((await messagesOf(plain, 'upsert-customer', 'C-IK-2')).map((m) => m.id)).to.deep.equal([id]);
    expect((await plain.app.log.load(id))?.stages.some((s) => s.stage === REPLY_STAGE)).to.equal(true);
  });

  it('the same key with a different body is a Client fault JCT_IDEMPOTENCY_KEY_REUSED naming the first message; nothing new', async () => {
    const key = randomUUID();
    const first = await soapPost(plain, order('SO-IK-3'), { key });
    expect(first.status, first.text).to.equal(202);
    const other = await soapPost(plain, order('SO-IK-3b'), { key });
    expect(other.status).to.equal(500);
    expect(other.text).to.contain('<faultcode>soap:Client</faultcode>').and.contain('<jct:code>JCT_IDEMPOTENCY_KEY_REUSED</jct:code>')
      .and.contain(`<jct:messageId>${String(first.headers.get('x-junction-message-id'))}</jct:messageId>`);
    expect(await messagesOf(plain, 'submit-order', 'SO-IK-3b')).to.have.length(0);
  });

  it('a malformed Idempotency-Key header is a Client (1.1) / Sender (1.2) fault JCT_REQUEST_MALFORMED saying what a key must be; nothing is recorded', async () => {
    for (const [version, orderId] of [['1.1', 'SO-IK-4a'], ['1.2', 'SO-IK-4b']] as const) {
      const res = await soapPost(plain, order(orderId), { version, key: 'not a key' });
      expect(res.status, res.text).to.equal(version === '1.1' ? 500 : 400);
      expect(res.text).to.contain(version === '1.1' ? '<faultcode>soap:Client</faultcode>' : 'env:Sender')
        .and.contain('JCT_REQUEST_MALFORMED')
        .and.contain('The Idempotency-Key HTTP header must be 1 to 255 visible ASCII characters');
      expect(await messagesOf(plain, 'submit-order', orderId)).to.have.length(0);
    }
  });

  it('wsa:MessageID sent twice with the opt-in: one message, same id, Idempotent-Replayed; its MessageID is the key', async () => {
    const messageId = `urn:uuid:${randomUUID()}`;
    const id = await orderSentTwice(optIn, 'SO-MID-1', { header: addressing(`${CRM_NS}/SubmitOrder`, messageId) });
    expect((await optIn.app.log.load(id))?.idempotencyKey).to.equal(messageId);
  });

  it('wsa:MessageID sent twice without the opt-in (the default): two messages', async () => {
    const header = addressing(`${CRM_NS}/SubmitOrder`, `urn:uuid:${randomUUID()}`);
    const first = await soapPost(plain, order('SO-MID-2'), { header });
    const again = await soapPost(plain, order('SO-MID-2'), { header });
    expect([first.status, again.status]).to.deep.equal([202, 202]);
    expect(again.headers.get('idempotent-replayed')).to.equal(null);
    const ids = [first, again].map((r) => String(r.headers.get('x-junction-message-id')));
    expect(ids[0]).to.not.equal(ids[1]);
    expect((await messagesOf(plain, 'submit-order', 'SO-MID-2')).map((m) => m.id)).to.have.members(ids);
  });

  it('with the opt-in, an Idempotency-Key header wins over wsa:MessageID: a new MessageID with the same key is still a repeat', async () => {
    const key = randomUUID();
    const first = await soapPost(optIn, order('SO-MID-3'), { key, header: addressing(`${CRM_NS}/SubmitOrder`, `urn:uuid:${randomUUID()}`) });
    const again = await soapPost(optIn, order('SO-MID-3'), { key, header: addressing(`${CRM_NS}/SubmitOrder`, `urn:uuid:${randomUUID()}`) });
    expect([first.status, again.status]).to.deep.equal([202, 202]);
    expect(again.headers.get('x-junction-message-id')).to.equal(first.headers.get('x-junction-message-id'));
    expect((await optIn.app.log.load(String(first.headers.get('x-junction-message-id'))))?.idempotencyKey).to.equal(key);
  });

  it('the WSDL declares IdempotencyKey and CorrelationId headers: python3-zeep fills them by name (_soapheaders); the repeat is answered from the first call', async () => {
    const wsdl = `${plain.base}/soap/crm?wsdl`;
    const key = `zeep-${randomUUID()}`;
    const headers = { IdempotencyKey: key, CorrelationId: 'CRM-CONV-77' };
    const args = { customerId: 'C-ZEEP-KEY', name: 'Zeep', status: 'ACTIVE' };
    const first = await zeepCall(wsdl, 'CrmSoap12Port', 'UpsertCustomer', args, undefined, false, undefined, headers);
    const again = await zeepCall(wsdl, 'CrmSoap12Port', 'UpsertCustomer', args, undefined, false, undefined, headers);
    expect(first.ok, JSON.stringify(first)).to.equal(true);
    expect(again.ok, JSON.stringify(again)).to.equal(true);
    if (first.ok && again.ok) expect(again.result).to.deep.equal(first.result);
    expect(first.http?.replayed).to.equal(null);
    expect(again.http).to.deep.equal({ messageId: first.http?.messageId, replayed: 'true' });
    const stored = await plain.app.log.load(String(first.http?.messageId));
    expect(stored).to.deep.include({ idempotencyKey: key, correlationId: 'CRM-CONV-77' });
    expect(plain.erp.stats().attempts).to.equal(1);
  });

  it('a declared header sent xsi:nil, as generated .NET and Java clients send one left unset, is no key: two calls, two messages', async () => {
    const nil = `<c:IdempotencyKey xmlns:c="${CRM_NS}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:nil="true"/>`;
    const first = await soapPost(plain, order('SO-NIL-1'), { header: nil });
    const second = await soapPost(plain, order('SO-NIL-1'), { header: nil });
    expect([first.status, second.status], second.text).to.deep.equal([202, 202]);
    expect(second.headers.get('x-junction-message-id')).to.not.equal(first.headers.get('x-junction-message-id'));
    expect(second.headers.get('idempotent-replayed')).to.equal(null);
  });

  it('python3-zeep resending the same MessageID (WS-Addressing plugin) with the opt-in: the same reply, marked replayed; the ERP is called once', async () => {
    const wsdl = `${optIn.base}/soap/crm?wsdl`;
    const messageId = `urn:uuid:${randomUUID()}`;
    const args = { customerId: 'C-ZEEP-MID', name: 'Zeep', status: 'ACTIVE' };
    const first = await zeepCall(wsdl, 'CrmSoap11Port', 'UpsertCustomer', args, undefined, { messageId });
    const again = await zeepCall(wsdl, 'CrmSoap11Port', 'UpsertCustomer', args, undefined, { messageId });
    expect(first.ok, JSON.stringify(first)).to.equal(true);
    expect(again.ok, JSON.stringify(again)).to.equal(true);
    if (first.ok && again.ok) expect(again.result).to.deep.equal(first.result);
    expect(first.addressing).to.include({ messageId, relatesTo: messageId, replayed: null });
    expect(again.addressing).to.include({ messageId, relatesTo: messageId, replayed: 'true' });
    expect(optIn.erp.stats().attempts).to.equal(1);
    expect(await messagesOf(optIn, 'upsert-customer', 'C-ZEEP-MID')).to.have.length(1);
  });
});
