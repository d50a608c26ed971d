import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { xmlToJsonFactory } from '../../../src/transformers/xml-to-json';
import { bootFailure, build, FIXTURES, message, optionProblems, stepContext, transformFailure } from './transformer-test-kit';

const CRM = 'urn:example:crm:order:v1';
const EXT = 'urn:example:crm:ext:v1';
const crmOrder = readFileSync(path.join(FIXTURES, 'crm-order.xml'), 'utf8');

async function convert(xml: string, options: Record<string, unknown> = {}): Promise<unknown> {
  const out = await build(xmlToJsonFactory, options, FIXTURES, 'to-json').run(message(xml, 'application/xml'), stepContext());
  expect(out.contentType).to.equal('application/json');
  return JSON.parse(out.body);
}

describe('xml-to-json step', () => {
  it('turns the CRM order into JSON with configured prefixes, @attributes, #text and exact strings', async () => {
    expect(await convert(crmOrder, { namespaces: { crm: CRM, ext: EXT } })).to.deep.equal({
      'crm:order': {
        '@id': 'SO-1001',
        '@ext:channel': 'web',
        'crm:customer': { '@ref': 'C-42', '#text': 'Ada Lovelace' },
        'crm:placedAt': '2026-11-22T10:00:00Z',
        'crm:currency': 'EUR',
        'crm:line': [
          { '@no': '1', 'crm:sku': 'A-100', 'crm:qty': '2', 'crm:unitPrice': '250.00' },
          { '@no': '2', 'crm:sku': 'B-200', 'crm:qty': '1', 'crm:unitPrice': '1234567890123456789012.345' },
        ],
        // Mixed content: the text segments joined, the child element beside them.
        'ext:note': { '@xml:lang': 'en', '#text': 'Deliver  10:00 & ring twice', 'ext:b': 'after' },
      },
    });
  });

  it('names elements of the configured default namespace without a prefix', async () => {
    const json = await convert(crmOrder, { namespace: CRM, namespaces: { x: EXT }, root: false }) as Record<string, unknown>;
    expect(Object.keys(json)).to.deep.equal(['@id', '@x:channel', 'customer', 'placedAt', 'currency', 'line', 'x:note']);
  });

  it('uses the configured prefix, not the one the document happens to use', async () => {
    const json = await convert(`<ns0:order xmlns:ns0="${CRM}"><ns0:id>1</ns0:id></ns0:order>`, { namespaces: { crm: CRM } });
    expect(json).to.deep.equal({ 'crm:order': { 'crm:id': '1' } });
  });

  it('keeps the document prefix for a namespace that is not configured (the default)', async () => {
    const json = await convert(`<order xmlns="${CRM}" xmlns:q="urn:other"><q:id q:kind="k">1</q:id></order>`);
    expect(json).to.deep.equal({ order: { 'q:id': { '@q:kind': 'k', '#text': '1' } } });
  });

  it('fails on a namespace that is not configured when unknownNamespaces is "fail", naming the namespace and line', async () => {
    const step = build(xmlToJsonFactory, { namespaces: { crm: CRM }, unknownNamespaces: 'fail' }, FIXTURES, 'strict-json');
    const text = await transformFailure(step.run(message(`<crm:order xmlns:crm="${CRM}">\n<q:id xmlns:q="urn:other">1</q:id></crm:order>`), stepContext()), 'strict-json');
    expect(text).to.contain('urn:other').and.to.contain('line 2').and.to.contain('"namespaces"');
  });

  it('writes every leaf as the exact text: decimals, leading zeros, spaces, entities and CDATA', async () => {
    const json = await convert('<v><a>250.00</a><b>007</b><c> 1 </c><d>12345678901234567890123.45</d><e>a &amp; &lt;b&gt; &#x263A;</e><f><![CDATA[<x> & y]]></f></v>');
    expect(json).to.deep.equal({ v: { a: '250.00', b: '007', c: ' 1 ', d: '12345678901234567890123.45', e: 'a & <b> \u263A', f: '<x> & y' } });
  });

  it('writes empty elements as "" and empty elements with attributes as their attributes only', async () => {
    expect(await convert('<v><a/><b></b><c x="1"/><d x="1"></d></v>')).to.deep.equal({ v: { a: '', b: '', c: { '@x': '1' }, d: { '@x': '1' } } });
  });

  describe('arrays', () => {
    const one = '<order><id>1</id><line><sku>A</sku></line></order>';
    const many = '<order><id>1</id><line><sku>A</sku></line><line><sku>B</sku></line></order>';

    it('makes a configured path an array when the element occurs once', async () => {
      expect(await convert(one, { arrays: ['/order/line'] })).to.deep.equal({ order: { id: '1', line: [{ sku: 'A' }] } });
    });

    it('makes a configured path an array, in document order, when the element repeats', async () => {
      expect(await convert(many, { arrays: ['/order/line'] })).to.deep.equal({ order: { id: '1', line: [{ sku: 'A' }, { sku: 'B' }] } });
    });

    it('makes repeated elements arrays even when not configured, and leaves a single one alone', async () => {
      expect(await convert(many)).to.deep.equal({ order: { id: '1', line: [{ sku: 'A' }, { sku: 'B' }] } });
      expect(await convert(one)).to.deep.equal({ order: { id: '1', line: { sku: 'A' } } });
    });

    it('applies a nested path inside every item and paths with prefixes', async () => {
      const xml = `<c:order xmlns:c="${CRM}"><c:line><c:tag>x</c:tag></c:line><c:line><c:tag>y</c:tag><c:tag>z</c:tag></c:line></c:order>`;
      expect(await convert(xml, { namespaces: { crm: CRM }, arrays: ['/crm:order/crm:line', '/crm:order/crm:line/crm:tag'] })).to.deep.equal({
        'crm:order': { 'crm:line': [{ 'crm:tag': ['x'] }, { 'crm:tag': ['y', 'z'] }] },
      });
    });

    it('uses paths of the output as written, so without the root when root is false', async () => {
      expect(await convert(one, { root: false, arrays: ['/line'] })).to.deep.equal({ id: '1', line: [{ sku: 'A' }] });
    });
  });

  describe('root: false', () => {
    it('writes the root element\'s content as the body', async () => {
      expect(await convert('<order id="1"><sku>A</sku></order>', { root: false })).to.deep.equal({ '@id': '1', sku: 'A' });
    });

    it('keeps the body an object for a text-only or empty root', async () => {
      expect(await convert('<ok>done</ok>', { root: false })).to.deep.equal({ '#text': 'done' });
      expect(await convert('<ok/>', { root: false })).to.deep.equal({});
    });
  });

  it('keeps element names such as __proto__ as ordinary fields', async () => {
    const out = await build(xmlToJsonFactory, {}).run(message('<v><__proto__>x</__proto__></v>'), stepContext());
    expect(out.body).to.equal('{"v":{"__proto__":"x"}}');
  });

  it('keeps the message id and route', async () => {
    const input = message('<a>1</a>', 'application/xml');
    const out = await build(xmlToJsonFactory, {}).run(input, stepContext());
    expect([out.id, out.routeId]).to.deep.equal([input.id, input.routeId]);
  });

  describe('bad input', () => {
    const step = build(xmlToJsonFactory, {}, FIXTURES, 'crm-to-json');

    it('fails permanently on malformed XML, naming the step, the line and the column', async () => {
      const text = await transformFailure(step.run(message('<order>\n  <id>1</id>\n  <sku>A</line>\n</order>'), stepContext()), 'crm-to-json');
      expect(text).to.match(/not well-formed XML \(line 3, column \d+: .*sku.*line/);
    });

    it('refuses a DOCTYPE without expanding its entities', async () => {
      const text = await transformFailure(step.run(message('<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY boom "expanded">]><a>&boom;</a>'), stepContext()), 'crm-to-json');
      expect(text).to.contain('DOCTYPE is not allowed').and.not.to.contain('expanded');
    });

    for (const [what, body] of [['JSON', '{"a":1}'], ['an empty body', ''], ['two root elements', '<a/><b/>'], ['an undeclared prefix', '<p:a/>']] as const) {
      it(`fails permanently on ${what}`, async () => {
        expect(await transformFailure(step.run(message(body), stepContext()), 'crm-to-json')).to.contain('not well-formed XML');
      });
    }
  });

  describe('options, at boot', () => {
    it('has defaults: document prefixes, no forced arrays, root kept', () => {
      expect(optionProblems(xmlToJsonFactory, {})).to.deep.equal([]);
    });

    it('refuses bad prefixes, bad paths and unknown settings', () => {
      expect(optionProblems(xmlToJsonFactory, { namespaces: { '1x': CRM } })).to.have.length.greaterThan(0);
      expect(optionProblems(xmlToJsonFactory, { namespaces: { xmlns: CRM } })).to.have.length.greaterThan(0);
      expect(optionProblems(xmlToJsonFactory, { arrays: ['order/line'] })).to.have.length.greaterThan(0);
      expect(optionProblems(xmlToJsonFactory, { unknownNamespaces: 'guess' })).to.have.length.greaterThan(0);
      expect(optionProblems(xmlToJsonFactory, { arrayz: [] })).to.have.length.greaterThan(0);
    });

    it('refuses two prefixes for one namespace, and a namespace both unprefixed and prefixed', () => {
      const twice = bootFailure(() => build(xmlToJsonFactory, { namespaces: { a: CRM, b: CRM } }, FIXTURES, 'dup'));
      expect(twice.code).to.equal('JCT_CONFIG_INVALID');
      expect(twice.message).to.contain('Step "dup"').and.to.contain(CRM);
      const both = bootFailure(() => build(xmlToJsonFactory, { namespace: CRM, namespaces: { crm: CRM } }, FIXTURES, 'dup'));
      expect(both.code).to.equal('JCT_CONFIG_INVALID');
    });
  });
});
