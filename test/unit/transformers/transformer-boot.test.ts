import path from 'node:path';
import { expect } from 'chai';
import type { Endpoint, EndpointFactory } from '../../../src/core/endpoint';
import { JunctionError } from '../../../src/core/errors';
import { Registry } from '../../../src/core/registry';
import { loadConfig } from '../../../src/config/load-config';
import { compileRoutes } from '../../../src/routes/compile-routes';
import { createTransformerRegistry, transformerFactories } from '../../../src/transformers/transformer-registry';
import { TempConfigDir } from '../../support/temp-config';
import { FIXTURES } from './transformer-test-kit';

/** Stands in for the http connector: these tests are about steps. */
const httpStandIn: EndpointFactory = { type: 'http', optionsSchema: { type: 'object' }, create: () => ({}) as Endpoint };

const registries = () => ({
  steps: createTransformerRegistry(),
  endpoints: new Registry<EndpointFactory>('endpoint', [httpStandIn]),
});

function config(steps: string[]): string {
  return [
    'endpoints:',
    '  erp: { type: http, url: "http://127.0.0.1:9/erp" }',
    'routes:',
    '  - id: submit-order',
    '    entry: { rest: { method: POST, path: /orders } }',
    '    steps:',
    ...steps.map((line) => `      ${line}`),
    '    to: [erp]',
  ].join('\n');
}

describe('transformers at boot (configuration → compiled routes)', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  it('registers every transformer type', () => {
    expect(transformerFactories().map((f) => f.type).sort()).to.deep.equal(['custom', 'json-to-xml', 'jsonata', 'map', 'xml-to-json', 'xslt']);
  });

  it('compiles a route using every new transformer type, files relative to the config', () => {
    const fixtures = path.relative(temp.dir, FIXTURES);
    const example = path.relative(temp.dir, path.resolve('dist/examples/steps/add-timestamp.js'));
    const loaded = loadConfig(temp.write('junction.yaml', config([
      '- { type: xml-to-json, name: in, namespace: "urn:example:crm:order:v1", arrays: [/order/line] }',
      '- { type: jsonata, name: shape, expression: "$" }',
      `- { type: jsonata, name: summary, file: ${fixtures}/order-summary.jsonata }`,
      '- { type: json-to-xml, name: out, root: order, namespace: "urn:example:crm:order:v1" }',
      `- { type: xslt, name: to-erp, stylesheet: ${fixtures}/crm-order-to-erp.xsl, params: { salesOrg: "1000" } }`,
      `- { type: custom, name: stamp, module: ${example} }`,
    ])), {});
    const compiled = compileRoutes(loaded, registries());
    expect(compiled.routes[0]?.steps.map((s) => s.name)).to.deep.equal(['in', 'shape', 'summary', 'out', 'to-erp', 'stamp']);
  });

  it('reports every step that cannot be built with file, line, route path and the reason', () => {
    temp.write('bad.xsl', '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">\n<xsl:template match="/"><xsl:value-of select="(("/></xsl:template>\n</xsl:stylesheet>');
    const file = temp.write('junction.yaml', config([
      '- type: jsonata',
      '  name: shape',
      '  expression: \'{"id": orderId\'',
      '- { type: xslt, name: to-erp, stylesheet: bad.xsl }',
      '- { type: custom, name: stamp, module: steps/missing.js }',
      '- { type: xml-to-json, name: in, arrays: [line] }',
    ]));
    let error: unknown;
    try {
      compileRoutes(loadConfig(file, {}), registries());
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(JunctionError);
    const text = (error as JunctionError).message;
    expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
    expect(text).to.match(/junction\.yaml:7:\d+ routes\[0\]\.steps\[0\]: The JSONata expression of step "shape" has a syntax error at line 1, column 14 \(S0203\)/);
    expect(text).to.match(/junction\.yaml:10:\d+ routes\[0\]\.steps\[1\]: XSLT stylesheet .*bad\.xsl, line 2: <xsl:value-of select="\(\(">/);
    expect(text).to.match(/junction\.yaml:11:\d+ routes\[0\]\.steps\[2\]: Step "stamp": custom module steps\/missing\.js .* does not exist/);
    expect(text).to.match(/junction\.yaml:12:\d+ routes\[0\]\.steps\[3\]\.arrays\[0\]: /);
  });
});
