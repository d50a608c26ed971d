import { expect } from 'chai';
import type { Element, Node } from '@xmldom/xmldom';
import { jsonToXmlFactory } from '../../../src/transformers/json-to-xml';
import { parseXml } from '../../../src/transformers/xml-document';
import { xmlToJsonFactory } from '../../../src/transformers/xml-to-json';
import { build, message, stepContext } from './transformer-test-kit';

const CRM = 'urn:example:crm:order:v1';
const EXT = 'urn:example:crm:ext:v1';

/**
 * An XML document as namespace-qualified names, attributes and text — what must survive a round
 * trip, whatever prefixes were used and ignoring indentation and namespace declarations.
 */
function canonical(xml: string): string {
  const dump = (node: Node): string => {
    if (node.nodeType === 3 || node.nodeType === 4) return (node.nodeValue ?? '').trim() === '' ? '' : JSON.stringify(node.nodeValue);
    if (node.nodeType !== 1) return '';
    const element = node as Element;
    const attributes: string[] = [];
    for (let i = 0; i < element.attributes.length; i += 1) {
      const a = element.attributes.item(i);
      if (a && a.namespaceURI !== 'http://www.w3.org/2000/xmlns/') attributes.push(`{${a.namespaceURI ?? ''}}${a.localName ?? ''}=${JSON.stringify(a.value)}`);
    }
    const children: string[] = [];
    for (let child = element.firstChild; child; child = child.nextSibling) children.push(dump(child));
    return `{${element.namespaceURI ?? ''}}${element.localName ?? ''}[${attributes.sort().join(' ')}](${children.filter(Boolean).join(',')})`;
  };
  const root = parseXml(xml).documentElement;
  if (!root) throw new Error('no root');
  return dump(root);
}

const ORDER = `<?xml version="1.0" encoding="UTF-8"?>
<c:order xmlns:c="${CRM}" xmlns:e="${EXT}" id="SO-1" e:channel="web">
  <c:customer ref="C-42">Ada &amp; Co</c:customer>
  <c:line no="1"><c:sku>A</c:sku><c:unitPrice>250.00</c:unitPrice></c:line>
  <c:line no="2"><c:sku>B</c:sku><c:unitPrice>1234567890123456789012.345</c:unitPrice></c:line>
  <e:note xml:lang="en">ring twice</e:note>
  <c:empty/>
</c:order>`;

describe('xml-to-json then json-to-xml', () => {
  it('keeps qualified names, attributes, repeated elements and exact text (prefixes both ways)', async () => {
    const toJson = build(xmlToJsonFactory, { namespaces: { crm: CRM, ext: EXT } });
    const toXml = build(jsonToXmlFactory, { prefixes: { crm: CRM, ext: EXT } });
    const json = await toJson.run(message(ORDER, 'application/xml'), stepContext());
    expect(json.body).to.contain('"crm:order"').and.to.contain('"@ext:channel":"web"').and.to.contain('"crm:unitPrice":"250.00"');
    const xml = await toXml.run(json, stepContext());
    expect(canonical(xml.body)).to.equal(canonical(ORDER));
    expect(xml.body).to.contain('<crm:order xmlns:crm="urn:example:crm:order:v1"');
  });

  it('keeps a default namespace with "namespace" both ways and root: false / root', async () => {
    const original = `<order xmlns="${CRM}" id="7"><line><sku>A</sku></line></order>`;
    const toJson = build(xmlToJsonFactory, { namespace: CRM, root: false, arrays: ['/line'] });
    const toXml = build(jsonToXmlFactory, { root: 'order', namespace: CRM });
    const json = await toJson.run(message(original, 'application/xml'), stepContext());
    expect(JSON.parse(json.body)).to.deep.equal({ '@id': '7', line: [{ sku: 'A' }] });
    expect(canonical((await toXml.run(json, stepContext())).body)).to.equal(canonical(original));
  });

  it('keeps a one-element array an array through JSON → XML → JSON', async () => {
    const toXml = build(jsonToXmlFactory, { root: 'order' });
    const toJson = build(xmlToJsonFactory, { root: false, arrays: ['/line'] });
    const body = '{"id":"1","line":[{"sku":"A","amount":"250.00"}]}';
    const back = await toJson.run(await toXml.run(message(body), stepContext()), stepContext());
    expect(back.body).to.equal(body);
  });
});
