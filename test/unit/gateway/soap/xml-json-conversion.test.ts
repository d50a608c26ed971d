import { expect } from 'chai';
import { JunctionError } from '../../../../src/core/errors';
import { jsonToElement } from '../../../../src/gateway/soap/json-to-xml';
import { loadWsdlService } from '../../../../src/gateway/soap/wsdl-service';
import { parseXml } from '../../../../src/gateway/soap/xml-dom';
import { elementToJson } from '../../../../src/gateway/soap/xml-to-json';
import { buildXsdModel } from '../../../../src/gateway/soap/xsd-model';
import { CRM_NS, CRM_SERVICE } from './soap-test-server';

const service = loadWsdlService(CRM_SERVICE);
const declaration = (local: string) => service.model.element({ namespace: CRM_NS, local })!;
const toJson = (xml: string, local: string): string => elementToJson(parseXml(xml).documentElement!, declaration(local));
const toXml = (json: string, local: string): string => jsonToElement(json, declaration(local), service.prefixes);

function transformError(run: () => unknown): JunctionError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(JunctionError);
    expect((error as JunctionError).code).to.equal('JCT_TRANSFORM_FAILED');
    return error as JunctionError;
  }
  throw new Error('no error');
}

describe('SOAP XML → JSON (schema-guided)', () => {
  it('writes every leaf as the string written, lists as arrays even with one item, and leaves absent options out', () => {
    const xml = `<o:SubmitOrderRequest xmlns:o="${CRM_NS}"><o:orderId>SO-1</o:orderId><o:customerId>C-1</o:customerId>`
      + '<o:amount>250.00</o:amount><o:currency>EUR</o:currency>'
      + '<o:lines><o:sku>A</o:sku><o:qty>0001.50</o:qty><o:price>9999999999999999999999999.99</o:price></o:lines></o:SubmitOrderRequest>';
    expect(toJson(xml, 'SubmitOrderRequest')).to.equal(
      '{"orderId":"SO-1","customerId":"C-1","amount":"250.00","currency":"EUR","lines":[{"sku":"A","qty":"0001.50","price":"9999999999999999999999999.99"}]}');
    const customer = `<UpsertCustomerRequest xmlns="${CRM_NS}"><customerId>C</customerId><name>  two  spaces  </name><status>ACTIVE</status></UpsertCustomerRequest>`;
    expect(toJson(customer, 'UpsertCustomerRequest')).to.equal('{"customerId":"C","name":"  two  spaces  ","status":"ACTIVE"}');
  });

  it('reads CDATA and entities as text', () => {
    const xml = `<c:GetMessageStatusRequest xmlns:c="${CRM_NS}"><c:messageId><![CDATA[a<b]]>&amp;c</c:messageId></c:GetMessageStatusRequest>`;
    expect(toJson(xml, 'GetMessageStatusRequest')).to.equal('{"messageId":"a<b&c"}');
  });
});

describe('SOAP JSON → XML (schema-guided)', () => {
  it('writes children in sequence order, in the schema namespace, with exact numbers and escaped strings', () => {
    const xml = toXml('{"syncedAt":"2026-11-05T10:15:00Z","customerId":"C & <D>","erpCustomerNo":12345678901234567890123456.000}', 'UpsertCustomerResponse');
    expect(xml).to.equal(`<crm:UpsertCustomerResponse xmlns:crm="${CRM_NS}"><crm:customerId>C &amp; &lt;D&gt;</crm:customerId>`
      + '<crm:erpCustomerNo>12345678901234567890123456.000</crm:erpCustomerNo><crm:syncedAt>2026-11-05T10:15:00Z</crm:syncedAt></crm:UpsertCustomerResponse>');
  });

  it('writes lists as repeated elements and accepts one object where a list is allowed; booleans as text', () => {
    const order = toXml('{"orderId":"S","customerId":"C","amount":250.00,"currency":"EUR","lines":{"sku":"A","qty":1,"price":"2.50"}}', 'SubmitOrderRequest');
    expect(order).to.contain('<crm:amount>250.00</crm:amount>').and.contain('<crm:lines><crm:sku>A</crm:sku><crm:qty>1</crm:qty><crm:price>2.50</crm:price></crm:lines>');
    const status = toXml('{"status":true,"attempts":"7"}', 'GetMessageStatusResponse');
    expect(status).to.equal(`<crm:GetMessageStatusResponse xmlns:crm="${CRM_NS}"><crm:status>true</crm:status><crm:attempts>7</crm:attempts></crm:GetMessageStatusResponse>`);
  });

  it('names the JSON pointer of a missing, unknown or misshapen field', () => {
    expect(transformError(() => toXml('{"status":"X"}', 'GetMessageStatusResponse')).message).to.contain('/attempts is required');
    expect(transformError(() => toXml('{"status":"X","attempts":1,"colour":"red"}', 'GetMessageStatusResponse')).message).to.contain('colour');
    expect(transformError(() => toXml('{"status":"X","attempts":[1,2]}', 'GetMessageStatusResponse')).message).to.contain('/attempts takes one value');
    expect(transformError(() => toXml('{"status":"X","attempts":1,"lastError":"oops"}', 'GetMessageStatusResponse')).message).to.contain('/lastError must be an object');
    expect(transformError(() => toXml('{"status":{"a":1},"attempts":1}', 'GetMessageStatusResponse')).message).to.contain('/status must be a string, a number or a boolean');
    expect(transformError(() => toXml('[]', 'GetMessageStatusResponse')).message).to.contain('/ must be an object');
    expect(transformError(() => toXml('{"status":', 'GetMessageStatusResponse')).message).to.contain('not valid JSON');
  });

  it('does not let __proto__ in a reply reach an object prototype', () => {
    const error = transformError(() => toXml('{"status":"X","attempts":1,"__proto__":{"polluted":true}}', 'GetMessageStatusResponse'));
    expect(error.message).to.contain('__proto__');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});

describe('XSD model subset', () => {
  const schema = (body: string, attributes = 'elementFormDefault="qualified"'): ReturnType<typeof buildXsdModel> =>
    buildXsdModel([{ file: 'test.xsd', schema: parseXml(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" ${attributes}>${body}</xs:schema>`).documentElement! }], 'test');

  it('handles extension, choice, repeated groups, refs, recursion and unqualified locals', () => {
    const model = schema(`
      <xs:complexType name="Base"><xs:sequence><xs:element name="id" type="xs:string"/></xs:sequence></xs:complexType>
      <xs:complexType name="Node"><xs:complexContent><xs:extension base="t:Base"><xs:sequence>
        <xs:choice><xs:element name="a" type="xs:token"/><xs:element name="b" type="xs:int"/></xs:choice>
        <xs:sequence maxOccurs="unbounded"><xs:element name="k" type="xs:string"/><xs:element name="v" type="xs:string"/></xs:sequence>
        <xs:element ref="t:note" minOccurs="0"/>
        <xs:element name="child" type="t:Node" minOccurs="0"/>
      </xs:sequence></xs:extension></xs:complexContent></xs:complexType>
      <xs:element name="note"><xs:simpleType><xs:restriction base="xs:normalizedString"/></xs:simpleType></xs:element>
      <xs:element name="root" type="t:Node"/>`, 'elementFormDefault="unqualified"');
    const root = model.element({ namespace: 'urn:t', local: 'root' })!;
    const particles = root.type.kind === 'complex' ? root.type.particles : [];
    expect(particles.map((p) => `${p.key}:${p.minOccurs}..${p.maxOccurs}`)).to.deep.equal([
      'id:1..1', 'a:0..1', 'b:0..1', 'k:1..Infinity', 'v:1..Infinity', '{urn:t}note:0..1', 'child:0..1',
    ]);
    expect(particles[6]?.type).to.equal(root.type);
    expect(particles[5]?.type).to.deep.equal({ kind: 'simple', builtin: 'normalizedString', whiteSpace: 'replace' });
    const xml = '<t:root xmlns:t="urn:t"><id> x </id><a> y  z </a><k>1</k><v>2</v><k>3</k><v>4</v><t:note>a\tb</t:note><child><id>c</id><b>5</b><k>k</k><v>v</v></child></t:root>';
    expect(elementToJson(parseXml(xml).documentElement!, root)).to.equal(
      '{"id":" x ","a":"y z","k":["1","3"],"v":["2","4"],"note":"a b","child":{"id":"c","b":"5","k":["k"],"v":["v"]}}');
  });

  it('refuses what it does not model, naming file and line', () => {
    expect(() => schema('<xs:element name="r"><xs:complexType><xs:sequence>\n<xs:any/></xs:sequence></xs:complexType></xs:element>'))
      .to.throw(JunctionError, /^test: test\.xsd:2: xs:any is not supported in r/);
    expect(() => schema('<xs:element name="r"/>')).to.throw(JunctionError, /has no type; xs:anyType is not supported/);
    expect(() => schema('<xs:element name="r" type="q:x"/>')).to.throw(JunctionError, /the prefix "q" of "q:x" is not declared/);
  });
});
