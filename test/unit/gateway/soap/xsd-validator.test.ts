import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { JunctionError } from '../../../../src/core/errors';
import { loadWsdlService } from '../../../../src/gateway/soap/wsdl-service';
import { MAX_VIOLATIONS, reword, SchemaValidator } from '../../../../src/gateway/soap/xsd-validator';
import { CRM_NS, CRM_SERVICE, envelope11, orderBody, STATUS_BODY, UPSERT_BODY } from './soap-test-server';

describe('XSD validation with libxml2-wasm', () => {
  const service = loadWsdlService(CRM_SERVICE);
  let validator: SchemaValidator;

  before(async () => { validator = await SchemaValidator.compile('crm', service.compilable); });
  after(() => validator.close());

  it('finds nothing wrong with valid requests', () => {
    for (const body of [UPSERT_BODY, STATUS_BODY, orderBody()]) expect(validator.validateBody(envelope11(body))).to.deep.equal([]);
  });

  it('reports every violation with the path below the Body and the line of the request', () => {
    const violations = validator.validateBody(readFileSync('test/fixtures/soap/invalid-order.soap11.xml', 'utf8'));
    expect(violations.map((v) => [v.path, v.line])).to.deep.equal([
      ['/SubmitOrderRequest/amount', 7], ['/SubmitOrderRequest/currency', 8], ['/SubmitOrderRequest/lines[2]/qty', 16], ['/SubmitOrderRequest/lines[2]/colour', 18],
    ]);
  });

  it(`lists at most ${MAX_VIOLATIONS} violations and counts the rest`, () => {
    const lines = '<c:lines><c:sku>A</c:sku><c:qty>x</c:qty><c:price>1</c:price></c:lines>'.repeat(150);
    const violations = validator.validateBody(envelope11(orderBody('1', lines)));
    expect(violations).to.have.length(MAX_VIOLATIONS + 1);
    expect(violations[MAX_VIOLATIONS]).to.deep.equal({ path: '/', message: '50 more problems not listed.' });
  });

  it('refuses nesting deeper than libxml2 allows as malformed', () => {
    const deep = `<c:GetMessageStatusRequest xmlns:c="${CRM_NS}"><c:messageId>${'<a>'.repeat(300)}${'</a>'.repeat(300)}</c:messageId></c:GetMessageStatusRequest>`;
    expect(() => validator.validateBody(envelope11(deep))).to.throw(JunctionError, /not acceptable XML/);
  });

  it('frees every document it parses (no wasm memory growth), and everything on close', async () => {
    const lib = await import('libxml2-wasm');
    lib.diag.configure({ enabled: true });
    try {
      const local = await SchemaValidator.compile('crm', service.compilable);
      const bad = readFileSync('test/fixtures/soap/invalid-order.soap11.xml', 'utf8');
      for (let i = 0; i < 50; i += 1) {
        local.validateBody(envelope11(UPSERT_BODY));
        local.validateBody(bad);
        expect(() => local.validateBody(envelope11(`<a>${'<b>'.repeat(300)}</a>`))).to.throw(JunctionError);
      }
      const live = lib.diag.report() as Record<string, { totalInstances: number }>;
      expect(Object.fromEntries(Object.entries(live).map(([k, v]) => [k, v.totalInstances]))).to.deep.equal({ XmlDocument: 1, XsdValidator: 1 });
      local.close();
      local.close();
      expect(lib.diag.report()).to.deep.equal({});
      expect(() => local.validateBody(envelope11(UPSERT_BODY))).to.throw(JunctionError, /closed/);
    } finally {
      lib.diag.configure({ enabled: false });
    }
  });

  describe('rewording libxml2 messages so a person can act on them', () => {
    const cases: [string, string][] = [
      ["Element '{urn:a}st': [facet 'enumeration'] The value 'C' is not an element of the set {'A', 'B'}.\n", "The value 'C' is not allowed; use one of 'A', 'B'."],
      ["Element '{urn:a}cur': [facet 'pattern'] The value 'eur' is not accepted by the pattern '[A-Z]{3}'.\n", "The value 'eur' does not have the required form (pattern [A-Z]{3})."],
      ["Element '{urn:a}id': [facet 'maxLength'] The value has a length of '70'; this exceeds the allowed maximum length of '64'.\n", 'The value is 70 characters long; the maximum length is 64.'],
      ["Element '{urn:a}amt': 'abc' is not a valid value of the atomic type 'xs:decimal'.\n", "The value 'abc' is not a decimal number such as 250.00."],
      ["Element '{urn:a}at': '5 May' is not a valid value of the atomic type 'xs:dateTime'.\n", "The value '5 May' is not a date and time such as 2026-11-05T10:15:00Z."],
      ["Element '{urn:a}x': 'q' is not a valid value of the atomic type 'xs:gYear'.\n", "The value 'q' is not a valid gYear."],
      ["Element '{urn:a}extra': This element is not expected. Expected is ( {urn:a}l ).\n", "This element is not expected here; expected 'l'."],
      ["Element '{urn:a}R': Missing child element(s). Expected is one of ( {urn:a}email, {urn:a}status ).\n", "A required element is missing: 'email' or 'status'."],
      ["Element '{urn:a}R': Character content other than whitespace is not allowed because the content type is 'element-only'.\n", 'Text is not allowed here; this element holds other elements only.'],
      ["Element '{urn:a}R', attribute 'x': The attribute 'x' is not allowed.\n", "The attribute 'x' is not allowed."],
    ];
    for (const [message, expected] of cases) {
      it(expected, () => expect(reword(message)).to.equal(expected));
    }
  });
});
