import { expect } from 'chai';
import { createEnvelope } from '../../../src/core/envelope';
import { compileCondition, ParsedBodies, type ConditionConfig } from '../../../src/routes/condition';

function matches(config: ConditionConfig, body: string, headers: Record<string, string> = {}, contentType = 'application/json'): boolean {
  const message = createEnvelope({ routeId: 'r', pattern: 'one-way', source: 't', contentType, body, headers });
  return compileCondition(config, 'test')(message, new ParsedBodies(message));
}

const ORDER_XML = '<o:order xmlns:o="urn:crm:order"><o:amount>1000.01</o:amount><o:channel>web</o:channel></o:order>';

describe('routing conditions', () => {
  it('compares JSON values exactly, numbers as written', () => {
    expect(matches({ json: '/amount', greaterThan: '1000' }, '{"amount":1000.01}')).to.equal(true);
    expect(matches({ json: '/amount', greaterThan: '1000' }, '{"amount":"1000.00"}')).to.equal(false);
    expect(matches({ json: '/amount', greaterOrEqual: '1000' }, '{"amount":"1000.00"}')).to.equal(true);
    expect(matches({ json: '/amount', lessThan: '9007199254740993' }, '{"amount":9007199254740992}')).to.equal(true);
    expect(matches({ json: '/amount', greaterThan: '1' }, '{"amount":"abc"}')).to.equal(false);
  });

  it('supports equals, notEquals, in, matches and exists on JSON and headers', () => {
    expect(matches({ json: '/a/b', equals: 'x' }, '{"a":{"b":"x"}}')).to.equal(true);
    expect(matches({ json: '/c', notEquals: 'x' }, '{"c":"y"}')).to.equal(true);
    expect(matches({ json: '/c', in: ['y', 'z'] }, '{"c":"z"}')).to.equal(true);
    expect(matches({ json: '/c', matches: '^V' }, '{"c":"VIP"}')).to.equal(true);
    expect(matches({ json: '/missing', exists: false }, '{}')).to.equal(true);
    expect(matches({ header: 'X-Channel', equals: 'web' }, '{}', { 'x-channel': 'web' })).to.equal(true);
  });

  it('evaluates namespace-aware XPath on XML bodies', () => {
    const ns = { namespaces: { c: 'urn:crm:order' } };
    expect(matches({ xpath: '/c:order/c:amount', greaterThan: '1000', ...ns }, ORDER_XML, {}, 'application/xml')).to.equal(true);
    expect(matches({ xpath: '/c:order/c:channel', equals: 'web', ...ns }, ORDER_XML, {}, 'application/xml')).to.equal(true);
    // the same local name in another namespace does not match
    expect(matches({ xpath: '/c:order/c:amount', exists: true, namespaces: { c: 'urn:other' } }, ORDER_XML, {}, 'application/xml')).to.equal(false);
    expect(matches({ xpath: 'count(//c:amount) > 0', equals: 'true', ...ns }, ORDER_XML, {}, 'application/xml')).to.equal(true);
    expect(matches({ xpath: '/c:order', exists: true, ...ns }, '<!DOCTYPE x><c/>', {}, 'application/xml')).to.equal(false);
  });

  it('combines with all, any and not', () => {
    const big = { json: '/amount', greaterThan: '1000' } as const;
    const vip = { json: '/tier', equals: 'VIP' } as const;
    expect(matches({ all: [big, vip] }, '{"amount":2000,"tier":"VIP"}')).to.equal(true);
    expect(matches({ all: [big, vip] }, '{"amount":2000,"tier":"STD"}')).to.equal(false);
    expect(matches({ any: [big, vip] }, '{"amount":1,"tier":"VIP"}')).to.equal(true);
    expect(matches({ not: big }, '{"amount":1}')).to.equal(true);
  });

  it('fails at boot, naming the place, on a bad regex, XPath or decimal operand', () => {
    expect(() => compileCondition({ json: '/a', matches: '(' }, 'route "r" deliver[1].when')).to.throw(/route "r" deliver\[1\]\.when: "matches" is not a valid regular expression/);
    expect(() => compileCondition({ xpath: '/a[', equals: 'x' }, 'here')).to.throw(/here: "\/a\[" is not a valid XPath expression/);
    expect(() => compileCondition({ json: '/a', greaterThan: '1,000' }, 'here')).to.throw(/here: greaterThan needs a decimal number/);
  });
});
