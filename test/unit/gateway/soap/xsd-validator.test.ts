import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { JunctionError } from '../../../../src/core/errors';
import { loadWsdlService } from '../../../../src/gateway/soap/wsdl-service';
import { SchemaValidator } from '../../../../src/gateway/soap/xsd-validator';
import { MAX_VIOLATIONS } from '../../../../src/validators/xsd/compiled-xsd';
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
});
