import { Ajv } from 'ajv';
import { expect } from 'chai';
import { createEnvelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger } from '../../../src/core/logger';
import type { Step } from '../../../src/core/step';
import { rulesFactory } from '../../../src/validators/rules-validator';
import { validatorFactories } from '../../../src/validators/validator-registry';

const context = { routeId: 'r', logger: silentLogger };

function message(body: string) {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType: 'application/json', body });
}

function rules(...list: Record<string, unknown>[]): Step {
  return rulesFactory.create('check-order', { rules: list }, { baseDir: '.' });
}

async function violations(step: Step, body: unknown): Promise<{ path: string; message: string }[]> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const error = await step.run(message(text), context).then(() => undefined, (e: unknown) => e);
  if (error === undefined) return [];
  expect(error).to.be.instanceOf(JunctionError);
  expect((error as JunctionError).code).to.equal('JCT_VALIDATION_FAILED');
  expect((error as JunctionError).retryable).to.equal(false);
  return (error as JunctionError).violations.map((v) => ({ path: v.path, message: v.message }));
}

describe('rules validator step', () => {
  it('required: absent or null fails, present passes (other checks skip absent fields)', async () => {
    const step = rules({ path: '/customerId', required: true }, { path: '/note', maxLength: 3 });
    expect(await violations(step, { customerId: 'C-1' })).to.deep.equal([]);
    expect(await violations(step, {})).to.deep.equal([{ path: '/customerId', message: 'is required' }]);
    expect(await violations(step, { customerId: null })).to.deep.equal([{ path: '/customerId', message: 'is required' }]);
  });

  it('pattern: matched against strings and numbers as written (unanchored unless ^…$)', async () => {
    const step = rules({ path: '/customerId', pattern: '^C-\\d+$' }, { path: '/amount', pattern: '^\\d+\\.\\d{2}$' });
    expect(await violations(step, '{"customerId":"C-12","amount":250.00}')).to.deep.equal([]);
    expect(await violations(step, '{"customerId":"c-12","amount":250.0}')).to.deep.equal([
      { path: '/customerId', message: 'must match the pattern ^C-\\d+$' },
      { path: '/amount', message: 'must match the pattern ^\\d+\\.\\d{2}$' },
    ]);
    expect(await violations(step, { customerId: { id: 1 } })).to.deep.equal([{ path: '/customerId', message: 'must be text or a number' }]);
  });

  it('enum: strings equal strings, numbers equal numbers of the same exact value', async () => {
    const step = rules({ path: '/status', enum: ['ACTIVE', 'INACTIVE'] }, { path: '/priority', enum: [1, 2, true] });
    expect(await violations(step, '{"status":"ACTIVE","priority":2.0}')).to.deep.equal([]);
    expect(await violations(step, '{"status":"active","priority":"1"}')).to.deep.equal([
      { path: '/status', message: 'must be one of: ACTIVE, INACTIVE' },
      { path: '/priority', message: 'must be one of: 1, 2, true' },
    ]);
    expect(await violations(step, '{"priority":true}')).to.deep.equal([]);
    expect(await violations(step, '{"priority":1.0000000000000000000001}')).to.have.length(1);
  });

  it('minLength / maxLength count characters (not UTF-16 units) of text', async () => {
    const step = rules({ path: '/name', minLength: 2, maxLength: 4 });
    expect(await violations(step, { name: '😀😀😀😀' })).to.deep.equal([]);
    expect(await violations(step, { name: 'A' })).to.deep.equal([{ path: '/name', message: 'must be at least 2 characters long (it has 1)' }]);
    expect(await violations(step, { name: 'Alice' })).to.deep.equal([{ path: '/name', message: 'must be at most 4 characters long (it has 5)' }]);
    expect(await violations(step, { name: 12 })).to.deep.equal([{ path: '/name', message: 'must be text' }]);
  });

  it('min / max compare decimals exactly: 1000.001 is above max "1000.00", 1000.000 is not', async () => {
    const step = rules({ path: '/amount', min: '0.01', max: '1000.00' });
    for (const ok of ['1000.00', '1000', '1000.000', '0.01', '1E3', '"999.99"']) expect(await violations(step, `{"amount":${ok}}`), ok).to.deep.equal([]);
    expect(await violations(step, '{"amount":1000.001}')).to.deep.equal([{ path: '/amount', message: 'must be at most 1000.00' }]);
    expect(await violations(step, '{"amount":"1000.0000000000000000001"}')).to.deep.equal([{ path: '/amount', message: 'must be at most 1000.00' }]);
    expect(await violations(step, '{"amount":0.009}')).to.deep.equal([{ path: '/amount', message: 'must be at least 0.01' }]);
    expect(await violations(step, '{"amount":-5}')).to.deep.equal([{ path: '/amount', message: 'must be at least 0.01' }]);
    expect(await violations(step, '{"amount":"ten"}')).to.deep.equal([{ path: '/amount', message: 'must be a number' }]);
    expect(await violations(step, '{"amount":true}')).to.deep.equal([{ path: '/amount', message: 'must be a number' }]);
  });

  it('min / max hold for 25-digit values no float can tell apart', async () => {
    const step = rules({ path: '/total', max: '1234567890123456789012345' });
    expect(await violations(step, '{"total":1234567890123456789012345}')).to.deep.equal([]);
    expect(await violations(step, '{"total":1234567890123456789012346}')).to.deep.equal([{ path: '/total', message: 'must be at most 1234567890123456789012345' }]);
    expect(await violations(step, '{"total":1234567890123456789012345.0000001}')).to.have.length(1);
  });

  it('lists every violation of every rule, in rule order, in the error and its message', async () => {
    const step = rules(
      { path: '/customerId', required: true },
      { path: '/order/lines/0/sku', required: true, pattern: '^[A-Z]{3}$', maxLength: 3 },
      { path: '/order/amount', max: '100', message: 'Orders above 100 need approval.' },
      { path: '/currency', enum: ['EUR'] },
    );
    const error = await step.run(message('{"order":{"lines":[{"sku":"abcd"}],"amount":100.5},"currency":"USD"}'), context).then(() => undefined, (e: unknown) => e as JunctionError);
    expect(error!.violations).to.deep.equal([
      { path: '/customerId', message: 'is required' },
      { path: '/order/lines/0/sku', message: 'must match the pattern ^[A-Z]{3}$' },
      { path: '/order/lines/0/sku', message: 'must be at most 3 characters long (it has 4)' },
      { path: '/order/amount', message: 'Orders above 100 need approval.' },
      { path: '/currency', message: 'must be one of: EUR' },
    ]);
    expect(error!.message).to.equal('Step "check-order": message is invalid: /customerId is required; /order/lines/0/sku must match the pattern ^[A-Z]{3}$; '
      + '/order/lines/0/sku must be at most 3 characters long (it has 4); /order/amount Orders above 100 need approval.; /currency must be one of: EUR');
  });

  it('a custom message replaces all of its rule\'s findings, once', async () => {
    const step = rules({ path: '/sku', pattern: '^[A-Z]+$', maxLength: 2, message: 'SKU must be up to two capitals.' });
    expect(await violations(step, { sku: 'abc' })).to.deep.equal([{ path: '/sku', message: 'SKU must be up to two capitals.' }]);
  });

  it('refuses a body that is not JSON', async () => {
    const step = rules({ path: '/a', required: true });
    const error = await step.run(message('<a/>'), context).then(() => undefined, (e: unknown) => e as JunctionError);
    expect([error!.code, error!.message]).to.deep.equal(['JCT_VALIDATION_FAILED', 'Step "check-order": body is not valid JSON.']);
  });

  it('returns the message unchanged when every rule holds', async () => {
    const input = message('{"a":"x"}');
    expect(await rules({ path: '/a', required: true }).run(input, context)).to.equal(input);
  });

  describe('at boot', () => {
    const bootError = (...list: Record<string, unknown>[]): string => {
      try {
        rules(...list);
      } catch (error) {
        expect(error).to.be.instanceOf(JunctionError);
        expect((error as JunctionError).code).to.equal('JCT_CONFIG_INVALID');
        return (error as JunctionError).message;
      }
      return expect.fail('no boot error');
    };

    it('refuses a pattern that is not a regular expression, naming the rule index', () => {
      expect(bootError({ path: '/a', required: true }, { path: '/b', pattern: '([a-z' })).to.match(/^rules\[1\]\.pattern: "\(\[a-z" is not a valid regular expression \(.+\)$/);
    });

    it('refuses bounds that are not decimals or out of order, and rules that check nothing', () => {
      expect(bootError({ path: '/a', max: '1,000' })).to.equal('rules[0].max: "1,000" is not a decimal number; write it as a quoted string such as "1000.00" so no digit is lost');
      expect(bootError({ path: '/a', min: '10', max: '9.99' })).to.equal('rules[0]: min 10 is above max 9.99');
      expect(bootError({ path: '/a', minLength: 3, maxLength: 2 })).to.equal('rules[0]: minLength 3 is above maxLength 2');
      expect(bootError({ path: '/a', required: false })).to.match(/^rules\[0\] checks nothing/);
    });

    it('has options checked against a schema first (paths are JSON pointers, no unknown keys)', () => {
      const check = new Ajv({ strict: false }).compile(rulesFactory.optionsSchema);
      expect([
        { rules: [{ path: '/a/b~1c', required: true }] },
        { rules: [{ path: '', required: true }] },
        { rules: [] },
        { rules: [{ path: 'a', required: true }] },
        { rules: [{ path: '/a~2', required: true }] },
        { rules: [{ path: '/a', requird: true }] },
        { rules: [{ path: '/a', enum: [] }] },
        { rules: [{ path: '/a', minLength: -1 }] },
      ].map((options) => check(options))).to.deep.equal([true, true, false, false, false, false, false, false]);
    });
  });
});

describe('validator registry', () => {
  it('ships json-schema, xsd and rules', () => {
    expect(validatorFactories().map((f) => f.type)).to.deep.equal(['json-schema', 'xsd', 'rules']);
  });
});
