import { expect } from 'chai';
import { Registry } from '../../../src/core/registry';
import type { EndpointFactory } from '../../../src/core/endpoint';
import type { StepFactory } from '../../../src/core/step';
import { JunctionError } from '../../../src/core/errors';
import { loadConfig } from '../../../src/config/load-config';
import { BreakingEndpoint } from '../../../src/endpoints/circuit-breaker';
import { createEndpointRegistry } from '../../../src/endpoints/endpoint-registry';
import { compileRoutes } from '../../../src/routes/compile-routes';
import { transformerFactories } from '../../../src/transformers/transformer-registry';
import { validatorFactories } from '../../../src/validators/validator-registry';
import { TempConfigDir } from '../../support/temp-config';
import { findErpWsdlPath } from '../../../examples/legacy/erp/erp-simulator.js';

const registries = () => ({
  steps: new Registry<StepFactory>('step', [...validatorFactories(), ...transformerFactories()]),
  endpoints: createEndpointRegistry() as Registry<EndpointFactory>,
});

describe('compileRoutes', () => {
  let temp: TempConfigDir;
  beforeEach(() => { temp = new TempConfigDir(); });
  afterEach(() => temp.remove());

  function compileError(yaml: string): JunctionError {
    const loaded = loadConfig(temp.write('junction.yaml', yaml), {});
    try {
      compileRoutes(loaded, registries());
    } catch (error) {
      expect(error).to.be.instanceOf(JunctionError);
      return error as JunctionError;
    }
    throw new Error('expected compileRoutes to fail');
  }

  it('compiles the demo configuration', () => {
    const compiled = compileRoutes(loadConfig('config/default.yaml', {}), registries());
    const route = compiled.routes.find((r) => r.id === 'submit-order');
    expect(route?.rest?.path).to.equal('/orders');
    expect(route?.deliveries.map((d) => `${d.endpoint}${d.when ? ' (when)' : ''}: ${d.steps.map((s) => s.name).join(', ')}`)).to.deep.equal([
      'erp-orders: order-to-erp', 'oa-approvals (when): order-to-approval, approval-xml',
    ]);
    expect(route?.capture).to.equal('steps');
    expect([...compiled.endpoints.keys()]).to.deep.equal(['erp-customers', 'erp-orders', 'oa-approvals']);
  });

  it('names file, line, route, step and option for every problem at once', () => {
    const error = compileError([
      'endpoints:',
      '  oa:',
      '    type: http',
      '    url: not-a-url',
      '    timeoutMs: -5',
      '  erp:',
      '    type: carrier-pigeon',
      'routes:',
      '  - id: submit-order',
      '    entry: { rest: { method: POST, path: /orders } }',
      '    steps:',
      '      - type: json-to-xml',
      '        rooot: order',
      '      - type: xml-to-yaml',
      '    to: [oa, fax]',
    ].join('\n'));
    expect(error.code).to.equal('JCT_CONFIG_INVALID');
    const text = error.message;
    expect(text).to.contain(':4:10 endpoints.oa.url: must match');
    expect(text).to.contain(':5:16 endpoints.oa.timeoutMs: must be >= 1');
    expect(text).to.contain(`:7:11 endpoints.erp.type: "carrier-pigeon" is not a known endpoint type (known: ${createEndpointRegistry().types().join(', ')})`);
    expect(text).to.contain('routes[0].steps[0].rooot: is not a known setting');
    expect(text).to.contain('(route "submit-order", step "json-to-xml")');
    expect(text).to.contain(`:14:15 routes[0].steps[1].type: "xml-to-yaml" is not a known step type (known: ${registries().steps.types().join(', ')})`);
    expect(text).to.contain(':15:14 routes[0].to[1]: endpoint "fax" is not defined under "endpoints" (defined: oa, erp)');
  });

  it('refuses duplicate route ids and REST entries', () => {
    const error = compileError([
      'endpoints: { oa: { type: http, url: "http://127.0.0.1:9/x" } }',
      'routes:',
      '  - { id: a, entry: { rest: { method: POST, path: /orders } }, to: [oa] }',
      '  - { id: a, entry: { rest: { method: POST, path: /orders } }, to: [oa] }',
    ].join('\n'));
    expect(error.message).to.contain('routes[1].id: route id "a" is used twice');
    expect(error.message).to.contain('routes[1].entry.rest: POST /orders is already bound to route "a"');
  });

  it('names a missing schema file at the line that refers to it', () => {
    const error = compileError([
      'endpoints: { oa: { type: http, url: "http://127.0.0.1:9/x" } }',
      'routes:',
      '  - id: a',
      '    entry: { rest: { method: POST, path: /orders, schema: schemas/missing.json } }',
      '    to: [oa]',
    ].join('\n'));
    expect(error.message).to.match(/:4:\d+ routes\[0\]\.entry\.rest\.schema: JSON Schema .*missing\.json cannot be read/);
  });
  it('refuses a malformed JSON pointer at boot, naming where it is written (business key, rule path, condition)', () => {
    const config = (entry: string, steps: string, when: string): string => {
      const file = temp.write('junction.yaml', [
        'endpoints: { oa: { type: http, url: "http://127.0.0.1:9/x" } }',
        'routes:',
        '  - id: a',
        `    entry: { rest: { method: POST, path: /orders${entry} } }`,
        `    steps: [{ type: rules, rules: [{ path: ${steps}, required: true }] }]`,
        `    deliver: [{ to: oa, when: { json: ${when}, equals: "1" } }]`,
      ].join('\n'));
      try {
        compileRoutes(loadConfig(file, {}), registries());
      } catch (error) {
        expect(error).to.be.instanceOf(JunctionError);
        expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
        return (error as JunctionError).message;
      }
      throw new Error('expected the configuration to be refused');
    };
    expect(config(', businessKey: orderId', '/amount', '/amount')).to.match(/:4:\d+ routes\[0\]\.entry\.rest\.businessKey: must match/);
    expect(config('', 'amount', '/amount')).to.match(/:5:\d+ routes\[0\]\.steps\[0\]\.rules\[0\]\.path: must match/);
    expect(config('', '/amount', 'amount')).to.match(/:6:\d+ routes\[0\]\.deliver\[0\]\.when: is not a valid condition/);
  });

  it('compiles a business key once, at boot', () => {
    const compiled = compileRoutes(loadConfig(temp.write('junction.yaml', [
      'endpoints: { oa: { type: http, url: "http://127.0.0.1:9/x" } }',
      'routes:',
      '  - { id: a, entry: { rest: { method: POST, path: /orders, businessKey: /order/a~1b } }, to: [oa] }',
    ].join('\n')), {}), registries());
    expect(compiled.routes[0]?.rest?.businessKey).to.deep.equal({ text: '/order/a~1b', tokens: ['order', 'a/b'] });
  });

  describe('endpoint breaker option', () => {
    const compile = (endpoints: string) => compileRoutes(loadConfig(temp.write('junction.yaml', [
      `endpoints: ${endpoints}`,
      'routes:',
      '  - { id: a, entry: { rest: { method: POST, path: /orders } }, to: [oa] }',
    ].join('\n')), {}), registries());

    it('puts every endpoint behind a breaker with the defaults (5 failures, 30 s)', () => {
      const endpoint = compile('{ oa: { type: http, url: "http://127.0.0.1:9/x" } }').endpoints.get('oa');
      expect(endpoint).to.be.instanceOf(BreakingEndpoint);
      expect((endpoint as BreakingEndpoint).breaker.settings).to.deep.equal({ failures: 5, openMs: 30_000 });
      expect(endpoint?.name).to.equal('oa');
    });

    it('takes failures and openMs, each defaulted; breaker: false leaves the endpoint bare', () => {
      const endpoint = compile('{ oa: { type: http, url: "http://127.0.0.1:9/x", breaker: { openMs: 5000 } } }').endpoints.get('oa');
      expect((endpoint as BreakingEndpoint).breaker.settings).to.deep.equal({ failures: 5, openMs: 5000 });
      expect(compile('{ oa: { type: http, url: "http://127.0.0.1:9/x", breaker: false } }').endpoints.get('oa')).not.to.be.instanceOf(BreakingEndpoint);
    });

    it('refuses bad breaker settings at boot, with the path', () => {
      const error = compileError([
        'endpoints: { oa: { type: http, url: "http://127.0.0.1:9/x", breaker: { failures: 0, openMs: 1000, tries: 3 } } }',
        'routes:',
        '  - { id: a, entry: { rest: { method: POST, path: /orders } }, to: [oa] }',
      ].join('\n'));
      expect(error.code).to.equal('JCT_CONFIG_INVALID');
      expect(error.message).to.contain('endpoints.oa.breaker');
    });
  });

  describe('soap endpoint connections option', () => {
    const yaml = (connections: string) => [
      `endpoints: { erp: { type: soap, wsdl: "${findErpWsdlPath()}", operation: CreateOrUpdateCustomer, connections: ${connections} } }`,
      'routes:',
      '  - { id: a, entry: { rest: { method: POST, path: /customers } }, to: [erp] }',
    ].join('\n');

    it('takes a whole number of connections from 1 to 1024', () => {
      for (const connections of ['1', '2', '1024']) {
        const compiled = compileRoutes(loadConfig(temp.write('junction.yaml', yaml(connections)), {}), registries());
        expect(compiled.endpoints.get('erp')?.name).to.equal('erp');
      }
    });

    it('refuses 0, more than 1024 and fractions at boot, naming the option', () => {
      expect(compileError(yaml('0')).message).to.contain(':1:').and.to.contain('endpoints.erp.connections: must be >= 1');
      expect(compileError(yaml('1025')).message).to.contain('endpoints.erp.connections: must be <= 1024');
      expect(compileError(yaml('2.5')).message).to.contain('endpoints.erp.connections: must be integer');
    });
  });
});
