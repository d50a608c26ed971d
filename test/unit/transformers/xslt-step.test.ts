import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { xsltFactory } from '../../../src/transformers/xslt-step';
import { TempConfigDir } from '../../support/temp-config';
import { bootFailure, build, FIXTURES, message, RecordingLogger, stepContext, transformFailure } from './transformer-test-kit';

const crmOrder = readFileSync(path.join(FIXTURES, 'crm-order.xml'), 'utf8');
const ERP = 'urn:example:erp:sales:v2';

/** A one-template stylesheet around `body` (the template matches the root element `r`). */
function sheet(body: string, top = ''): string {
  return `<?xml version="1.0"?>\n<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">${top}\n`
    + `<xsl:template match="/r">${body}</xsl:template>\n</xsl:stylesheet>\n`;
}

describe('xslt step', () => {
  const toErp = build(xsltFactory, { stylesheet: 'crm-order-to-erp.xsl', params: { salesOrg: '1000' } }, FIXTURES, 'crm-to-erp');

  it('transforms the namespaced CRM order into the ERP sales order (params, include, exact amounts)', async () => {
    const out = await toErp.run(message(crmOrder, 'application/xml'), stepContext());
    expect(out.contentType).to.equal('application/xml; charset=utf-8');
    expect(out.body).to.equal('<?xml version="1.0" encoding="UTF-8"?>'
      + `<erp:SalesOrder xmlns:erp="${ERP}" erp:source="CRM">`
      + '<erp:Header><erp:ExternalRef>SO-1001</erp:ExternalRef><erp:Customer>C-42</erp:Customer><erp:SalesOrg>1000</erp:SalesOrg>'
      + '<erp:Plant>P100</erp:Plant><erp:Channel>10</erp:Channel><erp:Currency>EUR</erp:Currency></erp:Header>'
      + '<erp:Items count="2">'
      + '<erp:Item pos="010"><erp:Material>A-100</erp:Material><erp:Quantity>2</erp:Quantity><erp:NetPrice>250.00</erp:NetPrice></erp:Item>'
      + '<erp:Item pos="020"><erp:Material>B-200</erp:Material><erp:Quantity>1</erp:Quantity><erp:NetPrice>1234567890123456789012.345</erp:NetPrice></erp:Item>'
      + '</erp:Items></erp:SalesOrder>');
  });

  it('matches elements by namespace URI, not by the prefix the document uses', async () => {
    const prefixed = '<o:order xmlns:o="urn:example:crm:order:v1" id="SO-2"><o:currency>CHF</o:currency></o:order>';
    const out = await toErp.run(message(prefixed), stepContext());
    expect(out.body).to.contain('<erp:ExternalRef>SO-2</erp:ExternalRef>').and.to.contain('<erp:Currency>CHF</erp:Currency>').and.to.contain('<erp:Items count="0">');
  });

  it('uses a parameter\'s default when the step does not set it, and the step\'s value when it does', async () => {
    const plant = build(xsltFactory, { stylesheet: 'crm-order-to-erp.xsl', params: { plant: 'P200', salesOrg: 2000 } });
    const out = await plant.run(message(crmOrder), stepContext());
    expect(out.body).to.contain('<erp:Plant>P200</erp:Plant>').and.to.contain('<erp:SalesOrg>2000</erp:SalesOrg>');
  });

  it('runs transforms concurrently without mixing them up', async () => {
    const orders = Array.from({ length: 20 }, (_, i) => crmOrder.replace('SO-1001', `SO-${i}`));
    const outs = await Promise.all(orders.map((body) => toErp.run(message(body), stepContext())));
    outs.forEach((out, i) => expect(out.body).to.contain(`<erp:ExternalRef>SO-${i}</erp:ExternalRef>`));
  });

  describe('with stylesheets written per test', () => {
    let temp: TempConfigDir;
    beforeEach(() => { temp = new TempConfigDir(); });
    afterEach(() => temp.remove());

    const step = (xsl: string, options: Record<string, unknown> = {}) => {
      temp.write('t.xsl', xsl);
      return build(xsltFactory, { stylesheet: 't.xsl', ...options }, temp.dir, 'transform');
    };

    it('leaves out the XML declaration when the stylesheet says omit-xml-declaration="yes"', async () => {
      const out = await step(sheet('<out/>', '<xsl:output method="xml" omit-xml-declaration="yes"/>')).run(message('<r/>'), stepContext());
      expect(out.body).to.equal('<out></out>');
    });

    it('sends xsl:message to the step log, not the console', async () => {
      const logger = new RecordingLogger();
      await step(sheet('<xsl:message>checked <xsl:value-of select="@id"/></xsl:message><out/>')).run(message('<r id="7"/>'), stepContext(undefined, logger));
      expect(logger.lines).to.deep.include({ level: 'info', message: 'xsl:message: checked 7' });
    });

    describe('failures while messages flow (permanent, naming the step)', () => {
      it('xsl:message terminate="yes" fails with the message text', async () => {
        const xsl = sheet('<xsl:if test="not(line)"><xsl:message terminate="yes">order <xsl:value-of select="@id"/> has no lines</xsl:message></xsl:if><out/>');
        const text = await transformFailure(step(xsl).run(message('<r id="9"/>'), stepContext()), 'transform');
        expect(text).to.contain('XSLT transform (t.xsl) failed').and.to.contain('order 9 has no lines');
      });

      it('an error while evaluating (an undeclared variable)', async () => {
        const text = await transformFailure(step(sheet('<out><xsl:value-of select="$nope"/></out>')).run(message('<r/>'), stepContext()), 'transform');
        expect(text).to.contain('XPST0008').and.to.contain('$nope');
      });

      it('a result that is not one XML document (no template matched, only text came out)', async () => {
        const text = await transformFailure(step(sheet('<out/>')).run(message('<other>just text</other>'), stepContext()), 'transform');
        expect(text).to.contain('did not produce one well-formed XML document');
      });

      it('malformed input, with line and column', async () => {
        const text = await transformFailure(step(sheet('<out/>')).run(message('<r>\n<a></b></r>'), stepContext()), 'transform');
        expect(text).to.match(/not well-formed XML \(line 2, column \d+/);
      });

      it('input with a DOCTYPE', async () => {
        const text = await transformFailure(step(sheet('<out/>')).run(message('<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'), stepContext()), 'transform');
        expect(text).to.contain('DOCTYPE is not allowed');
      });
    });

    describe('at boot', () => {
      const bootError = (xsl: string, options: Record<string, unknown> = {}) => bootFailure(() => step(xsl, options));

      it('refuses a missing stylesheet, naming the file', () => {
        const error = bootFailure(() => build(xsltFactory, { stylesheet: 'missing.xsl' }, temp.dir, 'transform'));
        expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
        expect(error.message).to.contain(path.join(temp.dir, 'missing.xsl')).and.to.contain('does not exist');
      });

      it('refuses a stylesheet that is not well-formed, with line and column', () => {
        const error = bootError('<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">\n<xsl:template match="/">\n</xsl:stylesheet>');
        expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
        expect(error.message).to.match(/t\.xsl is not well-formed XML \(line 2, column \d+: Opening and ending tag mismatch/);
      });

      for (const [what, xsl, expected] of [
        ['an XPath syntax error in select', sheet('\n<out><xsl:value-of select="count(line"/></out>'), /line 4: <xsl:value-of select="count\(line">: the XPath expression has a syntax error: XPST0003/],
        ['an XPath syntax error in a match pattern', sheet('<out/>', '\n<xsl:template match="line[">x</xsl:template>'), /line 3: <xsl:template match="line\[">/],
        ['an XPath syntax error in an attribute value template', sheet('<out total="{sum(line/@x}"/>'), /<out total="\{sum\(line\/@x\}">: the XPath expression has a syntax error/],
        ['an unbalanced attribute value template', sheet('<out total="{sum(x)"/>'), /"\{" without "\}"/],
        ['an instruction that is not XSLT 1.0', sheet('<xsl:for-each-group select="x"/>'), /<xsl:for-each-group> is not an XSLT 1.0 instruction/],
        ['a root that is not a stylesheet', '<html/>', /the root element must be xsl:stylesheet or xsl:transform/],
        ['an output method other than xml', sheet('<out/>', '<xsl:output method="text"/>'), /method="text".*use method="xml"/],
        ['an include fetched over the network', sheet('<out/>', '<xsl:include href="https://example.org/x.xsl"/>'), /only relative paths/],
        ['a missing include', sheet('<out/>', '<xsl:include href="common.xsl"/>'), /<xsl:include> .*common\.xsl cannot be read: the file does not exist/],
      ] as const) {
        it(`refuses ${what}, naming the stylesheet`, () => {
          const error = bootError(xsl);
          expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
          expect(error.message).to.contain(path.join(temp.dir, 't.xsl'));
          expect(error.message).to.match(expected);
        });
      }

      it('refuses a parameter the stylesheet does not declare', () => {
        const error = bootError(sheet('<out/>', '<xsl:param name="plant"/>'), { params: { plnat: 'P1' } });
        expect(error.code).to.equal('JCT_CONFIG_INVALID');
        expect(error.message).to.contain('Step "transform": params.plnat is not a top-level <xsl:param>').and.to.contain('(declared: plant)');
      });

      it('checks included stylesheets too', () => {
        temp.write('common.xsl', '<?xml version="1.0"?>\n<!-- shared -->\n<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">\n<xsl:template name="x"><xsl:value-of select="(("/></xsl:template></xsl:stylesheet>');
        const error = bootError(sheet('<out/>', '<xsl:include href="common.xsl"/>'));
        expect(error.message).to.contain(path.join(temp.dir, 'common.xsl')).and.to.contain('line 4');
      });
    });
  });
});
