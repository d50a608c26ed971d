import { expect } from 'chai';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { isBuiltBody } from '../../../src/core/parsed-body';
import { jsonToXmlFactory, JsonToXmlStep } from '../../../src/transformers/json-to-xml';
import { loadMappingFile, MapStep } from '../../../src/transformers/map-step';
import { bootFailure, build, FIXTURES, optionProblems, stepContext, transformFailure } from './transformer-test-kit';

const context = { routeId: 'r', logger: silentLogger };

function message(body: string) {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'application/json', body });
}

const step = new JsonToXmlStep('to-xml', { root: 'approvalRequest', declaration: true });

describe('json-to-xml step', () => {

  it('wraps the fields in the root element and keeps numbers exactly as written', async () => {
    const out = await step.run(message('{"orderId":"SO-1","amount":250.00,"qty":2,"big":12345678901234567890.123456789,"rate":1e3}'), context);
    expect(out.body).to.equal('<?xml version="1.0" encoding="UTF-8"?><approvalRequest><orderId>SO-1</orderId><amount>250.00</amount>'
      + '<qty>2</qty><big>12345678901234567890.123456789</big><rate>1e3</rate></approvalRequest>');
    expect(out.contentType).to.match(/^application\/xml/);
  });

  it('writes arrays as repeated elements, leaves out nulls and escapes text', async () => {
    const out = await step.run(message('{"lines":[{"sku":"A&B"},{"sku":"<C>"}],"note":null,"ok":true}'), context);
    expect(out.body).to.contain('<lines><sku>A&amp;B</sku></lines><lines><sku>&lt;C&gt;</sku></lines>');
    expect(out.body).to.not.contain('note');
    expect(out.body).to.contain('<ok>true</ok>');
  });

  it('after a map step, reads the mapped document instead of parsing the body, with the same result', async () => {
    const table = loadMappingFile('config/mappings/order-to-erp.yaml');
    const order = message(JSON.stringify({ orderId: 'SO-1', customerId: 'C-1', amount: '1250.00', currency: 'EUR',
      lines: [{ sku: 'A&B', qty: '2', price: '12.50' }, { sku: '<C>', qty: '1', price: '1225.000' }] }).replace('"1225.000"', '1225.000'));
    const mapped = await new MapStep('order-to-erp', table).run(order, context);
    expect(isBuiltBody(mapped), 'the map step keeps its document').to.equal(true);
    const toXml = new JsonToXmlStep('erp-xml', { root: 'SalesOrder', declaration: true });
    const viaDocument = await toXml.run(mapped, context);
    const reparsed = await toXml.run(message(mapped.body), context);
    expect(viaDocument.body).to.equal(reparsed.body);
    expect(viaDocument.body).to.contain('<AMOUNT>1250.00</AMOUNT>').and.contain('<SKU>A&amp;B</SKU>').and.contain('<PRICE>1225.000</PRICE>');
  });

  it('refuses a bad name every time, not only the first (names that passed are remembered, bad ones never)', async () => {
    for (let i = 0; i < 2; i += 1) {
      const error = await step.run(message('{"ok":"1","bad name":"x"}'), context).then(() => undefined, (e: unknown) => e);
      expect((error as JunctionError).code).to.equal('JCT_TRANSFORM_FAILED');
    }
  });

  it('keeps the message id and route', async () => {
    const input = message('{"a":"1"}');
    const out = await step.run(input, context);
    expect([out.id, out.routeId]).to.deep.equal([input.id, input.routeId]);
  });

  for (const [what, body] of [['malformed JSON', '{"a":'], ['a JSON array', '[1,2]'], ['a key that is no XML name', '{"1st":"x"}']] as const) {
    it(`fails permanently with JCT_TRANSFORM_FAILED naming the step on ${what}`, async () => {
      const error = await step.run(message(body), context).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(JunctionError);
      expect((error as JunctionError).code).to.equal('JCT_TRANSFORM_FAILED');
      expect((error as JunctionError).retryable).to.equal(false);
      expect((error as JunctionError).message).to.contain('"to-xml"');
    });
  }
});

describe('json-to-xml step: namespaces, attributes and text', () => {
  const ERP = 'urn:example:erp:sales:v2';
  const CRM = 'urn:example:crm:order:v1';

  it('declares the default namespace and the prefixes on the root and writes qualified names', async () => {
    const step = build(jsonToXmlFactory, { root: 'erp:SalesOrder', declaration: false, prefixes: { erp: ERP, crm: CRM } }, FIXTURES, 'to-erp');
    const out = await step.run(message('{"@erp:source":"CRM","erp:Ref":"SO-1","crm:Note":"n","plain":"p"}'), stepContext());
    expect(out.body).to.equal(`<erp:SalesOrder xmlns:erp="${ERP}" xmlns:crm="${CRM}" erp:source="CRM"><erp:Ref>SO-1</erp:Ref><crm:Note>n</crm:Note><plain>p</plain></erp:SalesOrder>`);
  });

  it('puts unprefixed elements in the default namespace given by "namespace"', async () => {
    const step = build(jsonToXmlFactory, { root: 'order', declaration: false, namespace: CRM }, FIXTURES, 'to-crm');
    expect((await step.run(message('{"id":"1"}'), stepContext())).body).to.equal(`<order xmlns="${CRM}"><id>1</id></order>`);
  });

  it('writes @fields as attributes and #text as text, numbers exact in both', async () => {
    const out = await step.run(message('{"line":{"@no":10,"@price":250.00,"#text":12345678901234567890.5,"@gift":false}}'), stepContext());
    expect(out.body).to.contain('<line no="10" price="250.00" gift="false">12345678901234567890.5</line>');
  });

  it('escapes attribute values so quotes, ampersands and line breaks survive a parser', async () => {
    const out = await step.run(message('{"a":{"@v":"say \\"hi\\" & <go>\\n\\tnow","#text":"x\\r\\ny"}}'), stepContext());
    expect(out.body).to.contain('<a v="say &quot;hi&quot; &amp; &lt;go&gt;&#10;&#9;now">x&#13;\ny</a>');
  });

  it('writes an array of one as one element and many as repeated elements, in order', async () => {
    expect((await step.run(message('{"line":[{"sku":"A"}]}'), stepContext())).body).to.contain('<approvalRequest><line><sku>A</sku></line></approvalRequest>');
    expect((await step.run(message('{"line":[{"sku":"A"},{"sku":"B"},{"sku":"C"}]}'), stepContext())).body)
      .to.contain('<line><sku>A</sku></line><line><sku>B</sku></line><line><sku>C</sku></line>');
  });

  it('takes the root from a body with a single field when "root" is not set', async () => {
    const step2 = build(jsonToXmlFactory, { prefixes: { crm: CRM } }, FIXTURES, 'no-root');
    const out = await step2.run(message('{"crm:order":{"@id":"SO-1","crm:line":[{"crm:sku":"A"}]}}'), stepContext());
    expect(out.body).to.equal(`<?xml version="1.0" encoding="UTF-8"?><crm:order xmlns:crm="${CRM}" id="SO-1"><crm:line><crm:sku>A</crm:sku></crm:line></crm:order>`);
    const text = await transformFailure(step2.run(message('{"a":"1","b":"2"}'), stepContext()), 'no-root');
    expect(text).to.contain('exactly one field');
  });

  for (const [what, body, expected] of [
    ['a prefix not under "prefixes"', '{"erp:Ref":"1"}', 'prefix "erp"'],
    ['an xmlns attribute field', '{"@xmlns:erp":"urn:x"}', '"namespace" and "prefixes"'],
    ['an attribute holding an object', '{"a":{"@v":{"x":"1"}}}', 'must be text'],
    ['#text holding an array', '{"a":{"#text":["x"]}}', 'must be text'],
    ['an array inside an array', '{"a":[["x"]]}', 'array inside an array'],
    ['a control character', '{"a":"bell\\u0007"}', 'U+0007'],
    ['a key that is no XML name', '{"lines":[{"1st":"x"}]}', 'lines[0].1st'],
  ] as const) {
    it(`fails permanently, naming the step, on ${what}`, async () => {
      expect(await transformFailure(step.run(message(body), stepContext()), 'to-xml')).to.contain(expected);
    });
  }

  it('refuses at boot a root whose prefix is not declared, and bad prefixes', () => {
    const error = bootFailure(() => build(jsonToXmlFactory, { root: 'erp:Order' }, FIXTURES, 'to-erp'));
    expect(error.code).to.equal('JCT_CONFIG_INVALID');
    expect(error.message).to.contain('Step "to-erp"').and.to.contain('"erp"');
    expect(optionProblems(jsonToXmlFactory, { root: 'order', prefixes: { 'bad prefix': ERP } })).to.have.length.greaterThan(0);
    expect(optionProblems(jsonToXmlFactory, { root: '1order' })).to.have.length.greaterThan(0);
    expect(optionProblems(jsonToXmlFactory, {})).to.deep.equal([]);
  });
});
