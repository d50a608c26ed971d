import { expect } from 'chai';
import { MemoryBroker } from '../../../src/bus/memory/memory-broker';
import { createEnvelope } from '../../../src/core/envelope';
import type { EndpointFactory } from '../../../src/core/endpoint';
import { silentLogger } from '../../../src/core/logger';
import { Registry } from '../../../src/core/registry';
import type { StepFactory } from '../../../src/core/step';
import { loadConfig } from '../../../src/config/load-config';
import { createEndpointRegistry } from '../../../src/endpoints/endpoint-registry';
import { compileRoutes } from '../../../src/routes/compile-routes';
import type { CompiledRoutes } from '../../../src/routes/compiled-route';
import { RouteWorker } from '../../../src/routes/route-worker';
import { transformerFactories } from '../../../src/transformers/transformer-registry';
import { validatorFactories } from '../../../src/validators/validator-registry';
import { FakeTransactionLog } from '../../support/fake-transaction-log';
import { TempConfigDir } from '../../support/temp-config';

/** One route per step type, each fed a message that step must refuse. */
const CASES = [
  { type: 'xml-to-json', options: '{}', contentType: 'application/xml', body: '<order><amount>1</order>', code: 'JCT_TRANSFORM_FAILED' },
  { type: 'map', options: '{ mapping: amount.yaml }', contentType: 'application/json', body: '{"amount":"12,50"}', code: 'JCT_TRANSFORM_FAILED' },
  { type: 'jsonata', options: '{ expression: \'amount ? { "a": amount } : $error("amount is required")\' }', contentType: 'application/json', body: '{}', code: 'JCT_TRANSFORM_FAILED' },
  { type: 'json-to-xml', options: '{ root: order }', contentType: 'application/json', body: '[1,2]', code: 'JCT_TRANSFORM_FAILED' },
  { type: 'xslt', options: '{ stylesheet: stop.xsl }', contentType: 'application/xml', body: '<order/>', code: 'JCT_TRANSFORM_FAILED' },
  { type: 'xsd', options: '{ schema: order.xsd }', contentType: 'application/xml', body: '<order><amount>lots</amount></order>', code: 'JCT_VALIDATION_FAILED' },
  { type: 'json-schema', options: '{ schema: order.schema.json }', contentType: 'application/json', body: '{"amount":"x"}', code: 'JCT_VALIDATION_FAILED' },
  { type: 'rules', options: '{ rules: [{ path: /amount, required: true, max: "1000" }] }', contentType: 'application/json', body: '{"amount":"1000.01"}', code: 'JCT_VALIDATION_FAILED' },
] as const;

describe('a step refusing a message ends it FAILED at once, naming route and step (every step type)', () => {
  const temp = new TempConfigDir();
  const sent: string[] = [];
  let routes: CompiledRoutes;
  let log: FakeTransactionLog;
  let worker: RouteWorker;

  before(async () => {
    temp.write('amount.yaml', 'fields:\n  - { from: /amount, to: /AMOUNT, type: decimal }\n');
    temp.write('stop.xsl', '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/"><xsl:message terminate="yes">orders without lines are refused</xsl:message></xsl:template></xsl:stylesheet>');
    temp.write('order.xsd', '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="order"><xs:complexType><xs:sequence><xs:element name="amount" type="xs:decimal"/></xs:sequence></xs:complexType></xs:element></xs:schema>');
    temp.write('order.schema.json', '{"type":"object","properties":{"amount":{"type":"number"}}}');
    const file = temp.write('junction.yaml', [
      'endpoints:',
      '  backend: { type: http, url: "http://127.0.0.1:9/never" }',
      'routes:',
      ...CASES.map((c) => `  - { id: r-${c.type}, entry: { rest: { method: POST, path: /${c.type} } }, steps: [ { name: check-${c.type}, type: ${c.type}, ${c.options.slice(1, -1)} } ], to: [backend] }`),
    ].join('\n'));
    routes = compileRoutes(loadConfig(file, {}), {
      steps: new Registry<StepFactory>('step', [...validatorFactories(), ...transformerFactories()]),
      endpoints: createEndpointRegistry() as Registry<EndpointFactory>,
    });
    await Promise.all(routes.routes.flatMap((r) => r.steps).map((s) => s.ready?.()));
    const backend = routes.endpoints.get('backend')!;
    backend.send = async (m) => { sent.push(m.id); return { contentType: 'text/plain', body: '' }; };
    log = new FakeTransactionLog();
    worker = new RouteWorker({ broker: new MemoryBroker(), log, routes, logger: silentLogger, prefetch: 1 });
  });
  after(async () => {
    await Promise.all(routes.routes.flatMap((r) => r.steps).map((s) => s.close?.()));
    temp.remove();
  });

  for (const c of CASES) {
    it(`${c.type}: ${c.code}, not retryable, one attempt, nothing delivered`, async () => {
      const route = routes.routes.find((r) => r.id === `r-${c.type}`)!;
      const message = createEnvelope({ routeId: route.id, pattern: 'one-way', source: 'test', contentType: c.contentType, body: c.body });
      await log.recordReceived(message);
      await worker.handle(route, message, { redelivered: false });
      const record = await log.load(message.id);
      expect(record?.status).to.equal('FAILED');
      expect(record?.attempts).to.equal(1);
      expect(record?.lastError).to.deep.include({ code: c.code, retryable: false });
      expect(record?.lastError?.message).to.contain(`Route "r-${c.type}"`).and.contain(`"check-${c.type}"`);
      expect(record?.stages.at(-1)?.stage).to.equal(`step:check-${c.type}`);
      expect(sent).to.not.include(message.id);
    });
  }
});
