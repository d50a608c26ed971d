import { expect } from 'chai';
import { createEnvelope, withChanges } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import type { Step } from '../../../src/core/step';
import type { CompiledRoute } from '../../../src/routes/compiled-route';
import { compileCondition } from '../../../src/routes/condition';
import { planRoute, resumePoint, StageFailure, stageBefore, stageMilliseconds } from '../../../src/routes/route-runner';

const tag = (name: string): Step => ({ name, run: async (m) => withChanges(m, { body: JSON.stringify({ ...JSON.parse(m.body) as object, [name]: true }) }) });
const failing: Step = { name: 'boom', run: async () => { throw new JunctionError('JCT_TRANSFORM_FAILED', 'Step "boom": no'); } };

function route(overrides: Partial<CompiledRoute> = {}): CompiledRoute {
  return {
    id: 'orders', pattern: 'one-way', replyTimeoutMs: 1000, replySteps: [], capture: 'original',
    steps: [tag('common')],
    deliveries: [
      { endpoint: 'erp', steps: [tag('erp-map')] },
      { endpoint: 'oa', when: compileCondition({ json: '/amount', greaterThan: '1000' }, 'test'), steps: [tag('oa-map')] },
    ],
    ...overrides,
  };
}
const context = { routeId: 'orders', logger: silentLogger };
const order = (amount: string) => createEnvelope({ routeId: 'orders', pattern: 'one-way', source: 't', contentType: 'application/json', body: `{"amount":${amount}}` });

describe('planRoute', () => {
  it('runs the common steps, chooses recipients by condition, then each recipient\'s own steps', async () => {
    const { deliveries, trace } = await planRoute(route(), order('1500'), context);
    expect(deliveries.map((d) => [d.endpoint, JSON.parse(d.message.body)])).to.deep.equal([
      ['erp', { amount: 1500, common: true, 'erp-map': true }],
      ['oa', { amount: 1500, common: true, 'oa-map': true }],
    ]);
    expect(trace.stages.map((s) => s.stage)).to.deep.equal(['step:common', 'route', 'step:erp:erp-map', 'step:oa:oa-map']);
    expect(trace.stages[1]?.detail).to.equal('to erp, oa');
  });

  it('times each stage precisely for the histogram and in whole milliseconds for the log', async () => {
    const slow: Step = { name: 'slow', run: async (m) => { await new Promise((resolve) => setTimeout(resolve, 5)); return m; } };
    const { trace } = await planRoute(route({ steps: [tag('common'), slow] }), order('1500'), context);
    for (const stage of trace.stages) {
      expect(stage.seconds, stage.stage).to.be.at.least(0);
      expect(Number.isInteger(stageMilliseconds(stage)), stage.stage).to.equal(true);
    }
    const waited = trace.stages.find((s) => s.stage === 'step:slow');
    expect(waited?.seconds).to.be.at.least(0.004);
    expect(stageMilliseconds(waited!)).to.equal(Math.round(waited!.seconds * 1000));
    // Sub-millisecond precision stays in `seconds`; whole milliseconds round half up.
    expect(stageMilliseconds({ seconds: 0.0004 })).to.equal(0);
    expect(stageMilliseconds({ seconds: 0.0125 })).to.equal(13);
    expect(stageMilliseconds({ seconds: 1.2344 })).to.equal(1234);
  });

  it('leaves out a recipient whose condition does not hold', async () => {
    const { deliveries } = await planRoute(route(), order('250.00'), context);
    expect(deliveries.map((d) => d.endpoint)).to.deep.equal(['erp']);
  });

  it('fails with JCT_ROUTE_NO_MATCH when no recipient matches', async () => {
    const onlyConditional = route({ deliveries: [route().deliveries[1]!] });
    const error = await planRoute(onlyConditional, order('1'), context).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(StageFailure);
    expect((error as StageFailure).stage).to.equal('route');
    expect((error as StageFailure).error.code).to.equal('JCT_ROUTE_NO_MATCH');
  });

  it('refuses a request-reply route whose conditions pick two recipients', async () => {
    const error = await planRoute(route({ pattern: 'request-reply' }), order('1500'), context).then(() => undefined, (e: unknown) => e);
    expect((error as StageFailure).error.message).to.contain('2 recipients matched');
  });

  it('names the failing stage, and reports each finished stage to the listener', async () => {
    const seen: string[] = [];
    const withFailure = route({ deliveries: [{ endpoint: 'erp', steps: [failing] }] });
    const error = await planRoute(withFailure, order('1'), context, async (s) => { seen.push(s.stage); }).then(() => undefined, (e: unknown) => e);
    expect((error as StageFailure).stage).to.equal('step:erp:boom');
    expect(seen).to.deep.equal(['step:common', 'route']);
  });
});

describe('planRoute resumed at a stage (a replay from the failed step)', () => {
  const two = (): CompiledRoute => route({ steps: [tag('a'), tag('b')], deliveries: [{ endpoint: 'erp', steps: [tag('m1'), tag('m2')] }, { endpoint: 'oa', steps: [] }] });

  it('starts at a route step: the earlier steps do not run; the choice and recipients do', async () => {
    const { deliveries, trace } = await planRoute(two(), order('1'), context, undefined, 'step:b');
    expect(trace.stages.map((s) => s.stage)).to.deep.equal(['step:b', 'route', 'step:erp:m1', 'step:erp:m2']);
    expect(deliveries.map((d) => [d.endpoint, JSON.parse(d.message.body)])).to.deep.equal([
      ['erp', { amount: 1, b: true, m1: true, m2: true }], ['oa', { amount: 1, b: true }]]);
  });

  it('starts inside one recipient: only that recipient, from that step; at deliver: with no step at all', async () => {
    const inside = await planRoute(two(), order('1'), context, undefined, 'step:erp:m2');
    expect(inside.trace.stages.map((s) => s.stage)).to.deep.equal(['step:erp:m2']);
    expect(inside.deliveries.map((d) => [d.endpoint, JSON.parse(d.message.body)])).to.deep.equal([['erp', { amount: 1, m2: true }]]);
    const deliver = await planRoute(two(), order('1'), context, undefined, 'deliver:oa');
    expect(deliver.trace.stages).to.deep.equal([]);
    expect(deliver.deliveries.map((d) => [d.endpoint, d.message.body])).to.deep.equal([['oa', '{"amount":1}']]);
  });

  it('names the stage whose output is a stage\'s input, and refuses a stage the route does not have', () => {
    const r = two();
    expect([stageBefore(r, 'step:a'), stageBefore(r, 'step:b'), stageBefore(r, 'route'), stageBefore(r, 'step:erp:m1'),
      stageBefore(r, 'step:erp:m2'), stageBefore(r, 'deliver:erp'), stageBefore(r, 'deliver:oa')])
      .to.deep.equal([undefined, 'step:a', 'step:b', 'step:b', 'step:erp:m1', 'step:erp:m2', 'step:b']);
    expect(() => resumePoint(r, 'step:gone')).to.throw(JunctionError).with.property('code', 'JCT_REPLAY_REFUSED');
  });
});
