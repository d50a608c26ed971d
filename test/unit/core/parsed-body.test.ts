import { expect } from 'chai';
import { isLosslessNumber, LosslessNumber } from 'lossless-json';
import { createEnvelope, withChanges, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import { isBuiltBody, losslessBodyOf, rememberParsedBody } from '../../../src/core/parsed-body';
import { toSoapArguments } from '../../../src/endpoints/soap/soap-values';
import { compileCondition, ParsedBodies } from '../../../src/routes/condition';
import { JsonToXmlStep } from '../../../src/transformers/json-to-xml';
import { MapStep } from '../../../src/transformers/map-step';
import { rulesFactory } from '../../../src/validators/rules-validator';
import { rejection } from '../../support/errors';
import { ParseRecorder } from '../../support/parse-recorder';

const context = { routeId: 'r', logger: silentLogger };

function message(body: string, contentType = 'application/json'): Envelope {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType, body });
}

const holds = (config: Parameters<typeof compileCondition>[0], m: Envelope): boolean => compileCondition(config, 'test')(m, new ParsedBodies(m));

describe('losslessBodyOf (src/core/parsed-body)', () => {
  const parses = ParseRecorder.ofBodies();
  afterEach(() => parses.uninstall());

  it('parses a body once, however often and by whom it is asked for', () => {
    const m = message('{"a":{"b":[1,2]}}');
    parses.install();
    const first = losslessBodyOf(m);
    expect(losslessBodyOf(m)).to.equal(first);
    expect(new ParsedBodies(m).asJson()).to.equal(first);
    expect(parses.texts).to.have.length(1);
  });

  it('gives a changed envelope its own document: the parse of an earlier body is never returned', () => {
    const m = message('{"amount":1}');
    const before = losslessBodyOf(m) as { amount: LosslessNumber };
    const changed = withChanges(m, { body: '{"amount":2}' });
    expect((losslessBodyOf(changed) as { amount: LosslessNumber }).amount.value).to.equal('2');
    expect(before.amount.value).to.equal('1');
    // The same body in a new envelope (a header changed, say) is parsed again, to the same value.
    expect(losslessBodyOf(withChanges(m, { contentType: 'text/json' }))).to.deep.equal(before);
  });

  it('never hands out a stale document, even for an envelope that is not frozen and had its body replaced', () => {
    const m = { ...message('{"v":"old"}') } as { body: string } & Envelope;
    expect(losslessBodyOf(m)).to.deep.equal({ v: 'old' });
    (m as { body: string }).body = '{"v":"new"}';
    expect(losslessBodyOf(m)).to.deep.equal({ v: 'new' });
    rememberParsedBody(m, { v: 'built' });
    expect(isBuiltBody(m)).to.equal(true);
    (m as { body: string }).body = '{"v":"newer"}';
    expect(isBuiltBody(m)).to.equal(false);
    expect(losslessBodyOf(m)).to.deep.equal({ v: 'newer' });
  });

  it('returns the document a step remembered without parsing, and re-parses once a later step replaces the body', async () => {
    const table = { fields: [{ from: '/amount', to: '/AMOUNT', type: 'decimal' as const }] };
    const mapped = await new MapStep('m', table).run(message('{"amount":"250.00"}'), context);
    expect(mapped.body).to.equal('{"AMOUNT":250.00}');
    parses.install();
    expect(isBuiltBody(mapped)).to.equal(true);
    const document = losslessBodyOf(mapped) as { AMOUNT: unknown };
    expect(isLosslessNumber(document.AMOUNT) && document.AMOUNT.value).to.equal('250.00');
    expect(parses.texts).to.deep.equal([]);
    const replaced = withChanges(mapped, { body: '{"AMOUNT":1.5}' });
    expect(isBuiltBody(replaced)).to.equal(false);
    expect(holds({ json: '/AMOUNT', equals: '1.5' }, replaced)).to.equal(true);
    expect(parses.texts).to.deep.equal(['{"AMOUNT":1.5}']);
  });

  it('keeps numbers exact for every reader of the one document', async () => {
    const body = '{"amount":12345678901234567890.123456789000,"tiny":1e-400,"huge":1e400,"qty":9007199254740993}';
    const m = message(body);
    parses.install();
    expect(holds({ json: '/amount', equals: '12345678901234567890.123456789000' }, m)).to.equal(true);
    expect(holds({ json: '/qty', greaterThan: '9007199254740992' }, m)).to.equal(true);
    const rules = rulesFactory.create('bounds', { rules: [{ path: '/amount', min: '12345678901234567890.123456789', max: '12345678901234567890.123456789' }] }, { baseDir: '.' });
    expect(await rules.run(m, context)).to.equal(m);
    const tooBig = rulesFactory.create('too-big', { rules: [{ path: '/qty', max: '9007199254740992' }] }, { baseDir: '.' });
    expect((await rejection(tooBig.run(m, context))).code).to.equal('JCT_VALIDATION_FAILED');
    expect(toSoapArguments(m, 'erp')).to.deep.equal({ amount: '12345678901234567890.123456789000', tiny: '1e-400', huge: '1e400', qty: '9007199254740993' });
    const xml = await new JsonToXmlStep('x', { root: 'o', declaration: false }).run(m, context);
    expect(xml.body).to.equal('<o><amount>12345678901234567890.123456789000</amount><tiny>1e-400</tiny><huge>1e400</huge><qty>9007199254740993</qty></o>');
    expect(parses.texts).to.deep.equal([body]);
  });

  it('refuses duplicate keys with different values for every reader, as each did on its own, from one parse', async () => {
    const body = '{"orderId":"SO-1","amount":1,"amount":2}';
    const m = message(body);
    parses.install();
    expect(() => losslessBodyOf(m)).to.throw(SyntaxError, /Duplicate key 'amount'/);
    expect(holds({ json: '/orderId', exists: true }, m), 'a condition sees no JSON').to.equal(false);
    const validator = await rejection(rulesFactory.create('v', { rules: [{ path: '/orderId', required: true }] }, { baseDir: '.' }).run(m, context));
    expect([validator.code, validator.message, validator.violations]).to.deep.equal(['JCT_VALIDATION_FAILED', 'Step "v": body is not valid JSON.', [{ path: '', message: 'is not valid JSON' }]]);
    expect(() => toSoapArguments(m, 'erp')).to.throw(JunctionError, /^Endpoint "erp": the message body is not valid JSON \(Duplicate key 'amount' encountered at position \d+\)\.$/)
      .with.property('code', 'JCT_TRANSFORM_FAILED');
    const mapping = await rejection(new MapStep('m', { fields: [{ from: '/orderId', to: '/ORDER_NO' }] }).run(m, { ...context, original: m }));
    expect([mapping.code, mapping.message]).to.deep.equal(['JCT_TRANSFORM_FAILED', 'Step "m": the message is not valid JSON (Duplicate key \'amount\' encountered at position 30).']);
    const toXml = await rejection(new JsonToXmlStep('x', { root: 'o', declaration: false }).run(m, context));
    expect([toXml.code, toXml.message]).to.deep.equal(['JCT_TRANSFORM_FAILED', 'Step "x": body is not valid JSON (Duplicate key \'amount\' encountered at position 30).']);
    expect(parses.texts).to.deep.equal([body]);
    // The same key twice with the same value is accepted, as lossless-json always did.
    expect(losslessBodyOf(message('{"a":"1","a":"1"}'))).to.deep.equal({ a: '1' });
  });

  it('gives readers of a body that is not JSON their own errors, as before', async () => {
    const m = message('{"a":', 'application/json');
    expect(holds({ json: '/a', exists: false }, m)).to.equal(true);
    expect((await rejection(rulesFactory.create('v', { rules: [{ path: '/a', required: true }] }, { baseDir: '.' }).run(m, context))).code).to.equal('JCT_VALIDATION_FAILED');
    expect(() => toSoapArguments(m, 'erp')).to.throw(/^Endpoint "erp": the message body is not valid JSON \(/).with.property('code', 'JCT_TRANSFORM_FAILED');
    expect(() => toSoapArguments(message('[1]'), 'erp')).to.throw(/must be a JSON object/).with.property('code', 'JCT_TRANSFORM_FAILED');
  });

  it('leaves an XML body alone: the SOAP endpoint sends it as it is, without trying it as JSON', () => {
    const m = message('<?xml version="1.0"?><order><amount>250.00</amount></order>', 'application/xml');
    parses.install();
    expect(toSoapArguments(m, 'erp')).to.deep.equal({ _xml: '<order><amount>250.00</amount></order>' });
    expect(parses.texts).to.deep.equal([]);
    expect(holds({ xpath: '/order/amount', equals: '250.00' }, m)).to.equal(true);
  });

  it('keeps json-to-xml\'s depth check for a body no step built, even when a reader parsed it first', async () => {
    let deep = '"x"';
    for (let i = 0; i < 150; i += 1) deep = `{"a":${deep}}`;
    const m = message(deep);
    expect(losslessBodyOf(m)).to.be.an('object');
    const error = await rejection(new JsonToXmlStep('x', { root: 'o', declaration: false }).run(m, context));
    expect([error.code, error.message]).to.deep.equal(['JCT_TRANSFORM_FAILED', 'Step "x": body is not valid JSON (objects and arrays are nested deeper than 100 levels).']);
  });

  it('does not remember a failure that is not about the text (a stack overflow may not happen again)', () => {
    const m = message(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    parses.install();
    expect(() => losslessBodyOf(m)).to.throw(RangeError);
    expect(() => losslessBodyOf(m)).to.throw(RangeError);
    expect(parses.texts).to.have.length(2);
  });
});
