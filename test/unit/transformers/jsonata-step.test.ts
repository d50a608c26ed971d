import path from 'node:path';
import { expect } from 'chai';
import { jsonataFactory } from '../../../src/transformers/jsonata-step';
import { exactValue } from '../../../src/transformers/number-texts';
import { TempConfigDir } from '../../support/temp-config';
import { bootFailure, build, FIXTURES, message, optionProblems, stepContext, transformFailure } from './transformer-test-kit';

const inline = (expression: string, name = 'shape') => build(jsonataFactory, { expression }, FIXTURES, name);

async function evaluate(expression: string, body: string): Promise<string> {
  return (await inline(expression).run(message(body), stepContext())).body;
}

describe('jsonata step', () => {
  it('evaluates a file expression with $original and $headers and keeps copied amounts exact', async () => {
    const step = build(jsonataFactory, { file: 'order-summary.jsonata' }, FIXTURES, 'summary');
    const original = message('{"customer":{"id":"C-9"}}');
    const input = message('{"orderId":"SO-1","lines":[{"sku":"A","amount":250.00},{"sku":"B","amount":1234567890123456789012.345}]}', 'application/json', { 'x-user': 'ada' });
    const out = await step.run(input, stepContext(original));
    expect(out.body).to.equal('{"orderId":"SO-1","customer":"C-9","requestedBy":"ada","lines":[{"sku":"A","amount":250.00},'
      + '{"sku":"B","amount":1234567890123456789012.345}],"lineCount":2}');
    expect(out.contentType).to.equal('application/json');
    expect(out.id).to.equal(input.id);
  });

  it('passes "250.00" and a 25-digit decimal through a field copy unchanged', async () => {
    const body = '{"amount":250.00,"big":1234567890123456789012345.6789,"id":12345678901234567890,"rate":1e3,"neg":-0.50}';
    expect(await evaluate('{"AMOUNT": amount, "BIG": big, "ID": id, "RATE": rate, "NEG": neg}', body))
      .to.equal('{"AMOUNT":250.00,"BIG":1234567890123456789012345.6789,"ID":12345678901234567890,"RATE":1e3,"NEG":-0.50}');
  });

  it('writes computed numbers as JavaScript does (double precision arithmetic)', async () => {
    expect(await evaluate('{"sum": $sum(lines.qty), "double": amount * 2, "count": $count(lines)}', '{"amount":250.00,"lines":[{"qty":2},{"qty":3}]}'))
      .to.equal('{"sum":5,"double":500,"count":2}');
  });

  it('fails rather than guess when two different input numbers are the same JavaScript number', async () => {
    const body = '{"a":0.1,"b":0.1000000000000000000000001,"c":"text"}';
    const text = await transformFailure(inline('{"x": b}', 'shape').run(message(body), stepContext()), 'shape');
    expect(text).to.contain('0.1, 0.1000000000000000000000001').and.to.contain('/x');
    expect(await evaluate('{"x": c}', body)).to.equal('{"x":"text"}');
  });

  it('produces arrays (JSONata sequences) as plain JSON arrays', async () => {
    expect(await evaluate('lines.sku', '{"lines":[{"sku":"A"},{"sku":"B"}]}')).to.equal('["A","B"]');
    expect(await evaluate('[lines.sku]', '{"lines":[{"sku":"A"}]}')).to.equal('["A"]');
  });

  it('binds $original to the message itself when there is no other original, and to its text when it is not JSON', async () => {
    expect(await evaluate('{"id": $original.id}', '{"id":"X-1"}')).to.equal('{"id":"X-1"}');
    const step = inline('{"raw": $original}');
    const out = await step.run(message('{"a":1}'), stepContext(message('<order/>', 'application/xml')));
    expect(out.body).to.equal('{"raw":"<order/>"}');
  });

  describe('failures while messages flow (permanent, naming the step)', () => {
    it('an evaluation error gives JSONata\'s code, position and message', async () => {
      const text = await transformFailure(inline('{"x": a + b}', 'shape').run(message('{"a":1,"b":"x"}'), stepContext()), 'shape');
      expect(text).to.contain('T2002').and.to.contain('position 9').and.to.contain('The right side of the "+" operator must evaluate to a number');
    });

    it('$error() reports the expression\'s own words', async () => {
      const text = await transformFailure(inline('lines ? $ : $error("an order needs lines")', 'rules').run(message('{"lines":[]}'), stepContext()), 'rules');
      expect(text).to.contain('an order needs lines');
    });

    it('an expression that matches nothing', async () => {
      expect(await transformFailure(inline('missing.field').run(message('{"a":1}'), stepContext()), 'shape')).to.contain('produced no result');
    });

    for (const [expression, what] of [['a', 'a string'], ['n', 'a number'], ['null', 'null']] as const) {
      it(`a result that is ${what}, not an object or array`, async () => {
        expect(await transformFailure(inline(expression).run(message('{"a":"x","n":1}'), stepContext()), 'shape')).to.contain('must produce an object or an array');
      });
    }

    it('a function or a non-finite number in the result', async () => {
      expect(await transformFailure(inline('{"f": function($x){$x}}').run(message('{}'), stepContext()), 'shape')).to.contain('function');
      expect(await transformFailure(inline('{"x": 1/0}').run(message('{}'), stepContext()), 'shape')).to.contain('not finite');
    });

    it('a body that is not JSON', async () => {
      expect(await transformFailure(inline('$').run(message('<xml/>', 'application/xml'), stepContext()), 'shape')).to.contain('not valid JSON');
    });
  });

  describe('at boot', () => {
    let temp: TempConfigDir;
    beforeEach(() => { temp = new TempConfigDir(); });
    afterEach(() => temp.remove());

    it('refuses an inline expression with a syntax error, naming the step, line and column', () => {
      const error = bootFailure(() => inline('{\n  "id": orderId,\n  "x": (amount\n}', 'to-oa'));
      expect(error.code).to.equal('JCT_CONFIG_INVALID');
      expect(error.message).to.match(/^The JSONata expression of step "to-oa" has a syntax error at line 4, column 1 \(S0202\): Expected "\)", got "}"/);
    });

    it('refuses a file with a syntax error, naming the file, line and column', () => {
      temp.write('bad.jsonata', '{\n  "a": foo(,\n}');
      const error = bootFailure(() => build(jsonataFactory, { file: 'bad.jsonata' }, temp.dir, 'to-oa'));
      expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(error.message).to.contain(`JSONata file ${path.join(temp.dir, 'bad.jsonata')} has a syntax error at line 2, column`);
    });

    it('refuses a missing file', () => {
      const error = bootFailure(() => build(jsonataFactory, { file: 'nope.jsonata' }, temp.dir, 'to-oa'));
      expect(error.code).to.equal('JCT_CONFIG_REFERENCE');
      expect(error.message).to.contain('nope.jsonata').and.to.contain('does not exist');
    });

    it('needs exactly one of expression and file', () => {
      expect(optionProblems(jsonataFactory, {})).to.have.length.greaterThan(0);
      expect(optionProblems(jsonataFactory, { expression: '$', file: 'x.jsonata' })).to.have.length.greaterThan(0);
      expect(optionProblems(jsonataFactory, { expression: '$' })).to.deep.equal([]);
    });
  });
});

describe('exactValue', () => {
  it('gives one form to one number however it is written, and another to a different number', () => {
    expect(['250', '250.00', '2.5e2', '2500e-1', '250.0E0'].map(exactValue)).to.deep.equal(Array(5).fill('25e1'));
    expect(exactValue('0.1')).to.not.equal(exactValue('0.1000000000000000000000001'));
    expect(['0', '-0.0', '0e10'].map(exactValue)).to.deep.equal(['0', '0', '0']);
    expect(exactValue('-0.50')).to.equal('-5e-1');
  });
});
