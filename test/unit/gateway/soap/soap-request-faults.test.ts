import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { expectFault11, expectFault12 } from './fault-assertions';
import {
  CRM_NS, elements, envelope11, envelope12, orderBody, post, post11, post12, SOAP12_NS, startSoapServer, UPSERT_BODY,
  violationsOf, type SoapTestServer,
} from './soap-test-server';

const fixture = (name: string): string => readFileSync(`test/fixtures/soap/${name}`, 'utf8');

describe('SOAP gateway: faults for bad requests', () => {
  let server: SoapTestServer;

  before(async () => { server = await startSoapServer(); });
  after(async () => { await server.close(); });
  beforeEach(() => server.reset());
  afterEach(() => expect(server.calls, 'dispatch must not be called').to.have.length(0));

  it('answers malformed XML with a Client fault giving the line (1.1: 500; 1.2: Sender, 400)', async () => {
    const broken = '<?xml version="1.0"?>\n<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\n<soap:Body><a></b></soap:Body></soap:Envelope>';
    const fault = expectFault11(await post11(server.url, broken, '""'), 'Client', 'JCT_REQUEST_MALFORMED');
    expect(fault.reason).to.match(/^The request is not well-formed XML: line 3, column \d+: /);
    expectFault12(await post12(server.url, broken.replace('http://schemas.xmlsoap.org/soap/envelope/', SOAP12_NS)), 'Sender', 'JCT_REQUEST_MALFORMED');
  });

  it('refuses a DOCTYPE before parsing: no entity is expanded, nothing is read from disk', async () => {
    const res = await post11(server.url, fixture('doctype-entity.soap11.xml'), '""');
    const fault = expectFault11(res, 'Client', 'JCT_REQUEST_MALFORMED');
    expect(fault.reason).to.contain('DOCTYPE');
    expect(res.text).to.not.contain('lol').and.not.contain('root:');
    const inline = '<!DOCTYPE x [<!ENTITY a "b">]><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body/></env:Envelope>';
    expectFault12(await post12(server.url, inline), 'Sender', 'JCT_REQUEST_MALFORMED');
  });

  it('refuses an empty Body and a Body with two elements', async () => {
    const empty = expectFault11(await post11(server.url, envelope11(''), '""'), 'Client', 'JCT_REQUEST_MALFORMED');
    expect(empty.reason).to.contain('The SOAP Body is empty');
    const two = expectFault12(await post12(server.url, envelope12(UPSERT_BODY + UPSERT_BODY)), 'Sender', 'JCT_REQUEST_MALFORMED');
    expect(two.reason).to.contain('holds 2 elements').and.contain('exactly one');
  });

  it('refuses a root that is not an Envelope, a missing Body, text in the Body, and an element after the Body', async () => {
    const cases = [
      UPSERT_BODY,
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/></soap:Envelope>',
      envelope11(`hello ${UPSERT_BODY}`),
      envelope11(UPSERT_BODY).replace('</soap:Envelope>', '<soap:Trailer/></soap:Envelope>'),
    ];
    for (const body of cases) expectFault11(await post11(server.url, body, '""'), 'Client', 'JCT_REQUEST_MALFORMED');
  });

  it('lists every schema violation at once, with path, line and an actionable message', async () => {
    const res = await post11(server.url, fixture('invalid-order.soap11.xml'), '"urn:junction:crm:v1/SubmitOrder"');
    const fault = expectFault11(res, 'Client', 'JCT_VALIDATION_FAILED');
    expect(fault.reason).to.contain('does not match the schema in 4 places').and.contain('/SubmitOrderRequest/amount (line 7)');
    expect(violationsOf(res.text)).to.deep.equal([
      { path: '/SubmitOrderRequest/amount', line: '7', message: "The value 'two hundred' is not a decimal number such as 250.00." },
      { path: '/SubmitOrderRequest/currency', line: '8', message: "The value 'eur' does not have the required form (pattern [A-Z]{3})." },
      { path: '/SubmitOrderRequest/lines[2]/qty', line: '16', message: "The value 'x' is not a decimal number such as 250.00." },
      { path: '/SubmitOrderRequest/lines[2]/colour', line: '18', message: 'This element is not allowed here.' },
    ]);
  });

  it('reports missing, unexpected and enumerated values in SOAP 1.2 too', async () => {
    const body = `<c:UpsertCustomerRequest xmlns:c="${CRM_NS}"><c:customerId></c:customerId><c:status>GONE</c:status><c:extra/></c:UpsertCustomerRequest>`;
    const res = await post12(server.url, envelope12(body));
    expectFault12(res, 'Sender', 'JCT_VALIDATION_FAILED');
    const violations = violationsOf(res.text);
    expect(violations.map((v) => v.path)).to.deep.equal(['/UpsertCustomerRequest/customerId', '/UpsertCustomerRequest/status']);
    expect(violations[0]?.message).to.equal('The value is 0 characters long; the minimum length is 1.');
    expect(violations[1]?.message).to.equal("This element is not expected here; expected 'name'.");
    const enumerated = await post12(server.url, envelope12(UPSERT_BODY.replace('ACTIVE', 'GONE')));
    expect(violationsOf(enumerated.text)[0]?.message).to.equal("The value 'GONE' is not allowed; use one of 'ACTIVE', 'INACTIVE'.");
  });

  it('answers a 1.2 envelope sent as text/xml with a SOAP 1.1 VersionMismatch fault (500, no detail)', async () => {
    const fault = expectFault11(await post11(server.url, envelope12(UPSERT_BODY), '""'), 'VersionMismatch', undefined);
    expect(fault.reason).to.contain('The Envelope is SOAP 1.2 but the Content-Type announces SOAP 1.1');
  });

  it('answers a 1.1 envelope sent as application/soap+xml with a SOAP 1.2 VersionMismatch fault and an Upgrade header', async () => {
    const res = await post12(server.url, envelope11(UPSERT_BODY));
    expectFault12(res, 'VersionMismatch', undefined, 500);
    const supported = elements(res.text, SOAP12_NS, 'SupportedEnvelope').map((e) => {
      const [prefix, local] = (e.getAttribute('qname') ?? '').split(':');
      return `${e.lookupNamespaceURI(prefix ?? null)}|${local}`;
    });
    expect(supported).to.deep.equal([`${SOAP12_NS}|Envelope`, 'http://schemas.xmlsoap.org/soap/envelope/|Envelope']);
    const unknown = envelope11(UPSERT_BODY).replace('http://schemas.xmlsoap.org/soap/envelope/', 'urn:not-soap');
    expect(expectFault11(await post11(server.url, unknown, '""'), 'VersionMismatch', undefined).reason).to.contain('"urn:not-soap" is not a SOAP envelope namespace');
  });

  it('answers a content type that is not SOAP with 415 and a SOAP 1.1 fault', async () => {
    const res = await post(server.url, envelope11(UPSERT_BODY), { 'content-type': 'application/json' });
    const fault = expectFault11(res, 'Client', 'JCT_REQUEST_MEDIA_TYPE', 415);
    expect(fault.reason).to.contain('send text/xml for SOAP 1.1 or application/soap+xml for SOAP 1.2');
    const none = await post(server.url, envelope11(UPSERT_BODY), {});
    expectFault11(none, 'Client', 'JCT_REQUEST_MEDIA_TYPE', 415);
  });

  it('refuses other compressions, broken compressed data and unsupported charsets in the caller\'s version', async () => {
    const br = await post(server.url, envelope11(UPSERT_BODY), { 'content-type': 'text/xml', 'content-encoding': 'br' });
    expect(expectFault11(br, 'Client', 'JCT_REQUEST_MEDIA_TYPE').reason).to.contain('uncompressed, or compressed with gzip or deflate');
    const notGzip = await post(server.url, envelope11(UPSERT_BODY), { 'content-type': 'text/xml', 'content-encoding': 'gzip' });
    expect(expectFault11(notGzip, 'Client', 'JCT_REQUEST_MALFORMED').reason).to.contain('not valid gzip data');
    const sjis = await post(server.url, envelope12(UPSERT_BODY), { 'content-type': 'application/soap+xml; charset=shift_jis' });
    expect(expectFault12(sjis, 'Sender', 'JCT_REQUEST_MEDIA_TYPE').reason).to.contain('"shift_jis" is not supported');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(envelope11(UPSERT_BODY), 'utf16le')]);
    expectFault11(await post11(server.url, utf16, '""', 'text/xml'), 'Client', 'JCT_REQUEST_MEDIA_TYPE');
    const badUtf8 = Buffer.concat([Buffer.from(envelope11(UPSERT_BODY).replace('Ada', 'A')), Buffer.from([0xc3, 0x28])]);
    expect(expectFault11(await post11(server.url, badUtf8, '""'), 'Client', 'JCT_REQUEST_MALFORMED').reason).to.contain('not valid UTF-8');
  });

  it('answers methods other than GET and POST with 405 problem+json', async () => {
    const res = await fetch(server.url, { method: 'PUT', body: 'x' });
    expect(res.status).to.equal(405);
    expect(res.headers.get('allow')).to.equal('GET, HEAD, POST');
    expect((await res.json() as { code: string }).code).to.equal('JCT_METHOD_NOT_ALLOWED');
  });

  it('keeps a request id the caller sent and quotes it in the fault', async () => {
    const res = await post(server.url, envelope11('', ''), { 'content-type': 'text/xml', 'x-request-id': 'caller-req-1' });
    expect(expectFault11(res, 'Client', 'JCT_REQUEST_MALFORMED').requestId).to.equal('caller-req-1');
  });

  it('never calls dispatch for an order whose body does not validate', async () => {
    expectFault11(await post11(server.url, envelope11(orderBody('1e3')), '""'), 'Client', 'JCT_VALIDATION_FAILED');
  });
});
