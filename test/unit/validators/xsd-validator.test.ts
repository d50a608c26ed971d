import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import type { Step } from '../../../src/core/step';
import { MAX_VIOLATIONS } from '../../../src/validators/xsd/compiled-xsd';
import { xsdFactory, XsdStep } from '../../../src/validators/xsd-validator';
import { TempConfigDir } from '../../support/temp-config';

const FIXTURES = 'test/fixtures/validators/xsd';
const ORDERS = 'urn:example:orders';
const context = { routeId: 'r', logger: silentLogger };
const fixture = (name: string): string => readFileSync(`${FIXTURES}/${name}`, 'utf8');

function message(body: string) {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'application/xml', body });
}

async function failure(promise: Promise<unknown>): Promise<JunctionError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).to.be.instanceOf(JunctionError);
  return error as JunctionError;
}

function orderStep(options: Record<string, unknown> = {}): Step {
  return xsdFactory.create('check-order', { schema: 'order.xsd', ...options }, { baseDir: FIXTURES });
}

describe('xsd validator step', () => {
  let step: Step;

  before(async () => {
    step = orderStep();
    await step.ready?.();
  });
  after(() => step.close?.());

  it('passes a valid document through unchanged (schema found relative to the config dir)', async () => {
    const input = message(fixture('valid-order.xml'));
    expect(await step.run(input, context)).to.equal(input);
  });

  it('compiles an xs:import → xs:include chain relative to each schema file (types from ../shared/types.xsd apply)', async () => {
    const error = await failure(step.run(message(fixture('valid-order.xml').replace('CU-42', 'cu 42')), context));
    expect(error.violations).to.deep.equal([
      { path: '/order/customer/id', message: "The value 'cu 42' does not have the required form (pattern [A-Z]{2}-[0-9]{1,8}).", line: 4 },
    ]);
  });

  it('lists every violation at once, with element paths and lines, as a permanent JCT_VALIDATION_FAILED', async () => {
    const error = await failure(step.run(message(fixture('invalid-order.xml')), context));
    expect(error.code).to.equal('JCT_VALIDATION_FAILED');
    expect(error.retryable).to.equal(false);
    expect(error.message).to.match(/^Step "check-order": message is invalid: \/order \(line 2\): The attribute 'channel' is required but missing; /);
    expect(error.violations).to.deep.equal([
      { path: '/order', message: "The attribute 'channel' is required but missing.", line: 2 },
      { path: '/order/orderId', message: "The value 'so-1001' does not have the required form (pattern [A-Z]{2}-[0-9]{1,8}).", line: 3 },
      { path: '/order/amount', message: "The value '-5.001' is below the minimum, 0.", line: 5 },
      { path: '/order/amount', message: "The value '-5.001' has more than 2 digits after the decimal point.", line: 5 },
      { path: '/order/currency', message: "The value 'GBP' is not allowed; use one of 'EUR', 'USD'.", line: 6 },
      { path: '/order/line[2]/qty', message: "The value 'zero' is not a whole number above 0.", line: 8 },
      { path: '/order/line[2]/colour', message: 'This element is not allowed here.', line: 8 },
    ]);
    expect(error.toJSON().violations).to.have.length(7);
  });

  it('names the attribute a violation is about', async () => {
    const error = await failure(step.run(message(fixture('valid-order.xml').replace('channel="web"', 'channel="web" rush="yes"')), context));
    expect(error.violations).to.deep.equal([{ path: '/order/@rush', message: "The attribute 'rush' is not allowed.", line: 2 }]);
  });

  it('gives prefixed and default-namespace documents the same paths', async () => {
    const prefixed = fixture('invalid-order.xml')
      .replace('<order xmlns="urn:example:orders"', '<o:order xmlns:o="urn:example:orders"').replace('</order>', '</o:order>')
      .replace(/<(\/?)(orderId|customer|amount|currency|line|sku|qty|colour)>/g, '<$1o:$2>');
    const error = await failure(step.run(message(prefixed), context));
    expect(error.violations.map((v) => v.path)).to.deep.equal(['/order', '/order/orderId', '/order/amount', '/order/amount', '/order/currency', '/order/line[2]/qty', '/order/line[2]/colour']);
  });

  it(`lists at most ${MAX_VIOLATIONS} violations and counts the rest`, async () => {
    const lines = '<line><sku>x</sku><qty>1</qty></line>'.repeat(130);
    const body = fixture('valid-order.xml').replace(/<line>.*<\/order>/s, `${lines}</order>`);
    const error = await failure(step.run(message(body), context));
    expect(error.violations).to.have.length(MAX_VIOLATIONS + 1);
    expect(error.violations[0]).to.deep.include({ path: '/order/line[1]/sku' });
    expect(error.violations[MAX_VIOLATIONS]).to.deep.equal({ path: '/', message: '30 more problems not listed.' });
    expect(error.message).to.contain('and 91 more (all are listed in the violations)');
  });

  for (const [what, body, where, text] of [
    ['mismatched tags', '<order xmlns="urn:example:orders">\n  <orderId>SO-1</amount>\n</order>', '2:25', /Opening and ending tag mismatch/],
    ['text that is not XML', '{"orderId":"SO-1"}', '1:1', /Start tag expected/],
    ['an empty body', '', '', /the document is empty/],
    // Junction's own XML limit (security.xml.maxDepth, default 100) is checked before libxml2 parses (its own limit is 256).
    ['nesting deeper than the XML limit', `<order xmlns="urn:example:orders">${'<a>'.repeat(300)}${'</a>'.repeat(300)}</order>`, /^$/, /elements are nested deeper than 100 levels/],
  ] as const) {
    it(`refuses malformed XML (${what}) with JCT_VALIDATION_FAILED saying so`, async () => {
      const error = await failure(step.run(message(body), context));
      expect(error.code).to.equal('JCT_VALIDATION_FAILED');
      expect(error.retryable).to.equal(false);
      expect(error.message).to.match(/^Step "check-order": message is not well-formed XML/).and.match(text);
      expect(error.violations).to.have.length(1);
      if (typeof where === 'string') expect(error.violations[0]!.path).to.equal(where);
      else expect(error.violations[0]!.path).to.match(where);
    });
  }

  it('refuses a DOCTYPE before parsing, so no entity is ever expanded', async () => {
    const body = '<?xml version="1.0"?>\n<!-- hi -->\n<!DOCTYPE order [<!ENTITY x "SO-1">]>\n<order xmlns="urn:example:orders"><orderId>&x;</orderId></order>';
    const error = await failure(step.run(message(body), context));
    expect(error.code).to.equal('JCT_VALIDATION_FAILED');
    expect(error.message).to.equal('Step "check-order": message is invalid: it has a DOCTYPE; document type declarations are refused.');
    expect(error.violations).to.deep.equal([{ path: '', message: 'A DOCTYPE is not allowed; send the document without one.' }]);
  });

  it('reports a root element the schema does not declare', async () => {
    const error = await failure(step.run(message('<invoice xmlns="urn:example:orders"/>'), context));
    expect(error.violations).to.deep.equal([{ path: '/invoice', message: 'The schema declares no element of this name and namespace; check the root element and its namespace.', line: 1 }]);
  });

  describe('with element: the expected root', () => {
    let cancellations: Step;
    before(async () => {
      cancellations = orderStep({ element: `{${ORDERS}}cancellation` });
      await cancellations.ready?.();
    });
    after(() => cancellations.close?.());

    it('accepts that element', async () => {
      await cancellations.run(message(`<cancellation xmlns="${ORDERS}"><orderId>SO-1</orderId></cancellation>`), context);
    });

    it('refuses another element the schema declares, saying which was expected', async () => {
      const error = await failure(cancellations.run(message(fixture('valid-order.xml')), context));
      expect(error.violations).to.deep.equal([{ path: '/order', message: `The root element is {${ORDERS}}order; expected {${ORDERS}}cancellation.`, line: 2 }]);
    });

    it('refuses the right local name in another namespace', async () => {
      const error = await failure(cancellations.run(message('<cancellation><orderId>SO-1</orderId></cancellation>'), context));
      expect(error.violations[0]!.message).to.equal(`The root element is cancellation; expected {${ORDERS}}cancellation.`);
    });
  });

  describe('at boot', () => {
    const dir = new TempConfigDir();
    after(() => dir.remove());

    it('rejects ready() with JCT_CONFIG_REFERENCE when the schema does not compile, naming file and line', async () => {
      const broken = xsdFactory.create('broken', { schema: 'broken/undefined-type.xsd' }, { baseDir: FIXTURES });
      const error = await failure(broken.ready!());
      expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(error.message).to.match(/^Step "broken": XML Schema .*undefined-type\.xsd does not compile: .*undefined-type\.xsd:4 .*Missing' does not resolve/);
      const run = await failure(broken.run(message('<thing xmlns="urn:example:broken"/>'), context));
      expect(run.code).to.equal('JCT_INTERNAL');
      await broken.close!();
    });

    it('throws at create when the schema or a file it includes is missing, naming the referencing file and line', () => {
      expect(() => xsdFactory.create('x', { schema: 'nope.xsd' }, { baseDir: FIXTURES })).to.throw(JunctionError, /nope\.xsd cannot be read \(ENOENT\)/);
      expect(() => xsdFactory.create('x', { schema: 'broken/missing-import.xsd' }, { baseDir: FIXTURES }))
        .to.throw(JunctionError, /not-there\.xsd \(referenced from .*missing-import\.xsd:3\) cannot be read/);
    });

    it('refuses schemaLocations that are URLs, and files that are not schemas', () => {
      dir.write('remote.xsd', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:import namespace="urn:x" schemaLocation="https://example.org/x.xsd"/></xs:schema>');
      dir.write('not-schema.xsd', '<schema/>');
      dir.write('bad.xsd', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">');
      expect(() => xsdFactory.create('x', { schema: 'remote.xsd' }, { baseDir: dir.dir })).to.throw(JunctionError, /remote\.xsd:1: schemaLocation "https:\/\/example\.org\/x\.xsd" is not a relative file path/);
      expect(() => xsdFactory.create('x', { schema: 'not-schema.xsd' }, { baseDir: dir.dir })).to.throw(JunctionError, /is not an XML Schema/);
      expect(() => xsdFactory.create('x', { schema: 'bad.xsd' }, { baseDir: dir.dir })).to.throw(JunctionError, /bad\.xsd is not well-formed XML/);
    });

    it('resolves includes in a directory whose name needs escaping in a URL', async () => {
      dir.write('with space/types 1.xsd', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:simpleType name="Code"><xs:restriction base="xs:string"><xs:length value="2"/></xs:restriction></xs:simpleType></xs:schema>');
      dir.write('with space/main.xsd', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="types%201.xsd"/><xs:element name="code" type="Code"/></xs:schema>');
      const local = xsdFactory.create('x', { schema: 'with space/main.xsd' }, { baseDir: dir.dir });
      await local.ready!();
      await local.run(message('<code>AB</code>'), context);
      const error = await failure(local.run(message('<code>ABC</code>'), context));
      expect(error.violations[0]!.message).to.equal('The value is 3 characters long; the required length is 2.');
      await local.close!();
    });
  });

  it('frees every document it parses (no wasm memory growth over 1,000 validations), and everything on close', async () => {
    const lib = await import('libxml2-wasm');
    lib.diag.configure({ enabled: true });
    try {
      const local = new XsdStep('mem', `${FIXTURES}/order.xsd`, { namespace: ORDERS, local: 'order' });
      await local.ready();
      const long = 'A'.repeat(20_000); // a leaked document would cost at least this much wasm memory
      const bodies = [fixture('valid-order.xml').replace('Acme', long), fixture('invalid-order.xml').replace('Acme', long), `<order>${long}<a></b></order>`, `<cancellation xmlns="${ORDERS}"/>`];
      const validate = async (times: number): Promise<void> => {
        for (let i = 0; i < times; i += 1) await local.run(message(bodies[i % bodies.length]!), context).catch(() => undefined);
      };
      await validate(100); // wasm memory grows to its working size, then must stay there
      const before = process.memoryUsage().external; // includes the wasm heap, which never shrinks
      await validate(1000);
      expect(process.memoryUsage().external - before).to.be.below(4 * 1024 * 1024);
      const live = lib.diag.report() as Record<string, { totalInstances: number }>;
      expect(Object.fromEntries(Object.entries(live).map(([k, v]) => [k, v.totalInstances]))).to.deep.equal({ XmlDocument: 1, XsdValidator: 1 });
      await local.close();
      await local.close();
      expect(lib.diag.report()).to.deep.equal({});
      expect((await failure(local.run(message(bodies[0]!), context))).message).to.match(/closed/);
    } finally {
      lib.diag.configure({ enabled: false });
    }
  });

  it('has options checked at boot: schema required, element a {namespace}local name', () => {
    const check = new Ajv({ strict: false }).compile(xsdFactory.optionsSchema);
    expect([
      { schema: 'a.xsd' }, { schema: 'a.xsd', element: `{${ORDERS}}order` }, { schema: 'a.xsd', element: 'order' },
      {}, { schema: '' }, { schema: 'a.xsd', element: `{${ORDERS}}` }, { schema: 'a.xsd', element: 'two words' }, { schema: 'a.xsd', root: 'x' },
    ].map((options) => check(options))).to.deep.equal([true, true, true, false, false, false, false, false]);
  });
});
