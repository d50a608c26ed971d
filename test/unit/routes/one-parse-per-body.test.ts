import { expect } from 'chai';
import { createEnvelope, withChanges, type Envelope } from '../../../src/core/envelope';
import { silentLogger } from '../../../src/core/logger';
import type { Step } from '../../../src/core/step';
import { toSoapArguments } from '../../../src/endpoints/soap/soap-values';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { compileCondition } from '../../../src/routes/condition';
import { planRoute } from '../../../src/routes/route-runner';
import { loadMappingFile, MapStep } from '../../../src/transformers/map-step';
import { rulesFactory } from '../../../src/validators/rules-validator';
import { ParseRecorder } from '../../support/parse-recorder';

/**
 * A body is parsed (exact numbers, core/exact-json) once per version on its way through the worker: the route's
 * validators, the map step, the content-based conditions, the recipients' validators and the SOAP
 * endpoint's arguments all read one document. Before core/parsed-body's losslessBodyOf() the
 * validator, each condition set and the SOAP endpoint parsed the same text again.
 */
describe('one lossless parse per body version (map → conditions → validators → SOAP arguments)', () => {
  const parses = ParseRecorder.ofBodies();
  afterEach(() => parses.uninstall());

  const rules = (name: string, list: Record<string, unknown>[]): Step => rulesFactory.create(name, { rules: list }, { baseDir: '.' });
  const map = new MapStep('order-to-erp', loadMappingFile('config/mappings/order-to-erp.yaml'));
  const orderBody = '{"orderId":"SO-1","customerId":"C-1","amount":1250.00,"currency":"EUR","lines":[{"sku":"A","qty":2,"price":625.00}]}';
  const order = (): Envelope => createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 't', contentType: 'application/json', body: orderBody });
  const context = (message: Envelope) => ({ routeId: 'orders', logger: silentLogger, original: message });

  function route(steps: readonly Step[]): CompiledRoute {
    return {
      id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, replySteps: [], capture: 'none',
      steps,
      deliveries: [
        { endpoint: 'erp', when: compileCondition({ json: '/AMOUNT', greaterThan: '1000' }, 'erp'), steps: [rules('erp-rules', [{ path: '/CURRENCY', enum: ['EUR', 'USD'] }])] },
        { endpoint: 'oa', when: compileCondition({ all: [{ json: '/CURRENCY', equals: 'EUR' }, { json: '/LINE/0/SKU', exists: true }] }, 'oa'), steps: [] },
      ],
    };
  }

  it('parses the incoming body once and the mapped body never (the map step built it)', async () => {
    const input = order();
    const steps = [rules('check-order', [{ path: '/orderId', required: true }, { path: '/amount', min: '0' }]), map,
      rules('check-erp', [{ path: '/AMOUNT', max: '1250.00' }, { path: '/ORDER_NO', pattern: '^SO-' }])];
    parses.install();
    const { deliveries } = await planRoute(route(steps), input, context(input));
    const args = deliveries.map((d) => [d.endpoint, toSoapArguments(d.message, d.endpoint)]);
    parses.uninstall();
    expect(args).to.deep.equal([
      ['erp', { ORDER_NO: 'SO-1', CUST_NO: 'C-1', AMOUNT: '1250.00', CURRENCY: 'EUR', LINE: [{ SKU: 'A', QTY: '2', PRICE: '625.00' }] }],
      ['oa', { ORDER_NO: 'SO-1', CUST_NO: 'C-1', AMOUNT: '1250.00', CURRENCY: 'EUR', LINE: [{ SKU: 'A', QTY: '2', PRICE: '625.00' }] }],
    ]);
    const mappedBody = deliveries[0]?.message.body ?? '';
    expect(parses.of(orderBody), 'the incoming body (validator, then the map step)').to.equal(1);
    expect(parses.of(mappedBody), 'the mapped body (validators, conditions, SOAP arguments)').to.equal(0);
    expect(parses.texts).to.have.length(1);
  });

  it('parses a body a later step replaced exactly once, and every stage after it reads the new body (no stale document)', async () => {
    const input = order();
    // A transformer that rewrites the text (as jsonata, xslt or a custom step do) without handing on a document.
    const reprice: Step = { name: 'reprice', run: async (m) => withChanges(m, { body: m.body.replace('"AMOUNT":1250.00', '"AMOUNT":5.00') }) };
    const steps = [map, rules('check-mapped', [{ path: '/AMOUNT', min: '1000' }]), reprice, rules('check-repriced', [{ path: '/AMOUNT', max: '5.00' }])];
    parses.install();
    const { deliveries, trace } = await planRoute(route(steps), input, context(input));
    const args = deliveries.map((d) => [d.endpoint, toSoapArguments(d.message, d.endpoint)]);
    parses.uninstall();
    const repriced = trace.stages.find((s) => s.stage === 'step:reprice')?.output ?? '';
    expect(repriced).to.contain('"AMOUNT":5.00');
    // 5.00 is not over 1000: only oa; a condition reading the mapped document would have chosen erp too.
    expect(args).to.deep.equal([['oa', { ORDER_NO: 'SO-1', CUST_NO: 'C-1', AMOUNT: '5.00', CURRENCY: 'EUR', LINE: [{ SKU: 'A', QTY: '2', PRICE: '625.00' }] }]]);
    expect(parses.of(repriced), 'the replaced body').to.equal(1);
    expect(parses.texts).to.deep.equal([orderBody, repriced]);
  });

  it('a validator after a replaced body judges the new body, not the document of the one before', async () => {
    const input = order();
    const reprice: Step = { name: 'reprice', run: async (m) => withChanges(m, { body: m.body.replace('"AMOUNT":1250.00', '"AMOUNT":-1') }) };
    const steps = [map, rules('check-mapped', [{ path: '/AMOUNT', min: '0' }]), reprice, rules('check-repriced', [{ path: '/AMOUNT', min: '0' }])];
    const error = await planRoute(route(steps), input, context(input)).then(() => undefined, (e: unknown) => e);
    expect(error, 'the repriced body breaks the rule').to.have.property('stage', 'step:check-repriced');
  });
});
