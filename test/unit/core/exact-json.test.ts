import { expect } from 'chai';
import { LosslessNumber, parse as parseLossless } from 'lossless-json';
import { parseExactJson } from '../../../src/core/exact-json';
import { NOT_PLAIN, parseJsonWithoutNumbers } from '../../../src/core/json-without-numbers';
import { ParseRecorder } from '../../support/parse-recorder';
import { mutate, Random, valueLiteral } from '../../support/random-json';

/**
 * parseExactJson must give exactly what lossless-json's parse gives — a differential test: both
 * parse the same texts (thousands generated from fixed seeds, and lists written by hand) and must
 * agree on everything a reader could tell apart: the kind and prototype of every value, every own
 * property in order with its attributes, the text of every number, and for text they refuse, the
 * error's class and message.
 */
type Outcome = { readonly ok: true; readonly shape: unknown } | { readonly ok: false; readonly error: string; readonly message: string };

function shape(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return { type: typeof value, value };
  const prototype: unknown = Object.getPrototypeOf(value);
  const kind = Array.isArray(value) ? 'array' : prototype === LosslessNumber.prototype ? 'LosslessNumber' : prototype === Object.prototype ? 'object' : 'other';
  const own = Reflect.ownKeys(value).map((key) => {
    const property = Object.getOwnPropertyDescriptor(value, key)!;
    return [String(key), property.enumerable, property.writable, property.configurable, 'value' in property ? shape(property.value) : 'accessor'];
  });
  return { kind, own };
}

function outcome(parse: (text: string) => unknown, text: string): Outcome {
  try {
    return { ok: true, shape: shape(parse(text)) };
  } catch (error) {
    return { ok: false, error: (error as Error).constructor.name, message: (error as Error).message };
  }
}

/** The texts on which the two parsers disagree (shown as JSON strings so every character is visible). */
function disagreements(texts: readonly string[]): string[] {
  return texts.filter((text) => JSON.stringify(outcome(parseExactJson, text)) !== JSON.stringify(outcome((t) => parseLossless(t), text)))
    .map((text) => JSON.stringify(text));
}

function generated(seed: number, count: number, numbers = true): string[] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => valueLiteral(random, 0, numbers));
}

/** The texts JSON.parse's shortcut answers (not NOT_PLAIN) with anything but lossless-json's document. */
function shortcutDisagreements(texts: readonly string[]): string[] {
  return texts.filter((text) => {
    const plain = parseJsonWithoutNumbers(text);
    return plain !== NOT_PLAIN && JSON.stringify({ ok: true, shape: shape(plain) }) !== JSON.stringify(outcome((t) => parseLossless(t), text));
  }).map((text) => JSON.stringify(text));
}

function answered(texts: readonly string[]): string[] {
  return texts.filter((text) => parseJsonWithoutNumbers(text) !== NOT_PLAIN);
}

describe('parseExactJson: lossless-json\'s parse, faster', () => {
  const losslessParses = ParseRecorder.ofLosslessJson();
  afterEach(() => losslessParses.uninstall());

  it('gives what lossless-json gives for 4,000 generated documents, most of them answered without it', () => {
    const texts = generated(20_260_101, 4000);
    expect(disagreements(texts)).to.deep.equal([]);
    const parsed = texts.filter((text) => outcome((t) => parseLossless(t), text).ok);
    losslessParses.install();
    for (const text of parsed) parseExactJson(text);
    losslessParses.uninstall();
    // The generator's documents are valid JSON; the refused ones repeat a key with another value.
    expect(parsed.length, 'documents lossless-json accepts').to.be.greaterThan(3000);
    expect(losslessParses.texts.length, 'documents handed to lossless-json (a repeated key)').to.be.greaterThan(50)
      .and.lessThan(parsed.length / 4);
    for (const text of losslessParses.texts) expect(text, 'only texts with a key twice in one object are handed on').to.match(/"\s*:[^]*"\s*:/);
  });

  it('refuses what lossless-json refuses, with its message, for 4,000 generated documents broken one way each', () => {
    const random = new Random(7);
    const texts = generated(42, 4000).map((text) => mutate(random, text));
    expect(disagreements(texts)).to.deep.equal([]);
    const refused = texts.filter((text) => !outcome(parseExactJson, text).ok);
    expect(refused.length, 'broken documents refused').to.be.greaterThan(1000);
  });

  it('refuses what lossless-json refuses, with the same SyntaxError', () => {
    const invalid = ['', ' ', '\ufeff{}', '\u00a0{}', '{"a":1,}', '[1,]', '[,1]', '{,}', '{"a":1,,"b":2}', '01', '-01', '00', '1.', '.5', '-', '-a', '+1', '1e', '1e+',
      '1.e3', '0x10', 'NaN', 'Infinity', '-Infinity', '"\u0001"', '"a\tb"', '"a\nb"', '"\u001f"', '"\\x"', '"\\u12"', '"\\u12G4"', '"\\U0041"', '"\\', '"abc', '"',
      '{"a"', '{"a":', '{"a" 1}', '{"a":1 "b":2}', '[1 2]', '{1:2}', '{a:1}', "{'a':1}", "'a'", '"a"x', '{} {}', '[] x', 'tru', 'nul', 'fals', 'True', 'nulll',
      '[', ']', '{', '}', '{"a":1}}', '[[]]]', '{"a":1,"a":2}', '{"a":[1],"a":[2]}', '{"a":1.0,"a":1}', '{"a":{"b":1},"a":{"b":2}}', '{"__proto__":1,"__proto__":2}',
      '// comment\n{}', '/* c */{}', '{"a":undefined}', '[1,2', '{"a":"b"', '"\\ud800',
      // a key read by comparison with the one before it at the same place must match it whole
      '[{"a":1},{"ab:1}]', '[{"sku":1},{"skus:2}]', '[{"sku":1},{"sk":2,"sku}]', '[{"sku":1},{"sku\u0000":2}]', '[{"sku":1},{"sku\n":2}]', '[1.,2]', '[1e,2]'];
    expect(disagreements(invalid)).to.deep.equal([]);
    for (const text of invalid) expect(() => parseExactJson(text), JSON.stringify(text)).to.throw(SyntaxError);
    expect(() => parseExactJson('{"orderId":"SO-1","amount":1,"amount":2}')).to.throw(SyntaxError, "Duplicate key 'amount' encountered at position 30");
    expect(() => parseExactJson('{"a":')).to.throw(SyntaxError, "Object value expected after ':' at position 5");
  });

  it('accepts what lossless-json accepts, as it gives it: repeated keys with equal values, __proto__, integer-like keys, lone surrogates', () => {
    const valid = ['{"a":1,"a":1}', '{"a":[],"a":{}}', '{"a":["x"],"a":{"0":"x"}}', '{"__proto__":{"polluted":true}}', '{"__proto__":1,"__proto__":1}',
      '{"b":1,"2":2,"1":3,"a":4,"4294967295":5,"01":6}', '{"constructor":1,"toString":2,"hasOwnProperty":3,"valueOf":{}}', '-0', '-0.0e-0', '1E+400', '10.50',
      '12345678901234567890.123456789000', '"\ud800"', '"\\ud800"', '"\\udc00\\ud800"', '"\u2028\u2029\u007f"', ' \t\n\r[ 1 , "a" ,\r\n{ } ] \n', '""', '[]', '{}',
      'true', 'false', 'null', '[true,false,null]', '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\uFFFF"',
      '[{"sku":1},{"skus":2},{"sk":3},{"s\\u006bu":4},{"sku":5},{"sku\\"":6},{"sku":7,"sku":7}]'];
    expect(disagreements(valid)).to.deep.equal([]);
    const proto = parseExactJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).to.equal(Object.prototype);
    expect(Object.keys(proto)).to.deep.equal(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    const order = parseExactJson('{"amount":10.50,"qty":-0,"big":12345678901234567890.10}') as Record<string, LosslessNumber>;
    expect(Object.values(order).map((n) => [n instanceof LosslessNumber, n.value])).to.deep.equal([[true, '10.50'], [true, '-0'], [true, '12345678901234567890.10']]);
  });

  it('answers an order without lossless-json, and gives it what only it can decide', () => {
    const line = (n: number): string => `{"sku":"SKU-${String(n).padStart(6, '0')}-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","qty":"2","price":125.00}`;
    const order = `{"orderId":"SO-1","customerId":"C-42","amount":"250.00","currency":"EUR","lines":[${Array.from({ length: 1000 }, (_, n) => line(n)).join(',')}]}`;
    losslessParses.install();
    expect(disagreements([order])).to.deep.equal([]);
    expect(losslessParses.texts.filter((t) => t === order), 'the reference parse only').to.have.length(1);
    losslessParses.install();
    parseExactJson(order);
    expect(() => parseExactJson('{"a":')).to.throw(SyntaxError);
    expect(parseExactJson('{"a":1,"a":1}')).to.have.property('a');
    expect(losslessParses.texts).to.deep.equal(['{"a":', '{"a":1,"a":1}']);
  });

  it('hands nesting deeper than the stack to lossless-json: it decides, and a RangeError stays a RangeError', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    expect(() => parseExactJson(deep)).to.throw(RangeError);
    const fine = `${'{"a":['.repeat(200)}0${']}'.repeat(200)}`;
    expect(disagreements([fine])).to.deep.equal([]);
    expect(parseExactJson('[1]'), 'a parse after an overflow starts afresh').to.deep.equal([new LosslessNumber('1')]);
  });
});

describe('parseJsonWithoutNumbers: JSON.parse, only where it gives what lossless-json gives', () => {
  it('answers most of 4,000 generated documents without numbers, each as lossless-json does; parseExactJson agrees on all', () => {
    const texts = generated(20_261_203, 4000, false);
    expect(disagreements(texts)).to.deep.equal([]);
    expect(shortcutDisagreements(texts)).to.deep.equal([]);
    const accepted = texts.filter((text) => outcome((t) => parseLossless(t), text).ok);
    const plain = answered(texts);
    expect(plain.length, 'answered by JSON.parse').to.be.greaterThan(accepted.length / 2);
    // The generator repeats keys in about one object in ten: those texts (equal values or not) go the usual way.
    expect(accepted.length - plain.length, 'accepted but left to the usual way').to.be.greaterThan(100);
  });

  it('never answers where lossless-json gives a number or refuses: 4,000 generated documents, and 4,000 broken ones', () => {
    const texts = generated(20_261_204, 4000);
    expect(shortcutDisagreements(texts)).to.deep.equal([]);
    const random = new Random(11);
    const broken = [...generated(20_261_205, 2000), ...generated(20_261_206, 2000, false)].map((text) => mutate(random, text));
    expect(shortcutDisagreements(broken)).to.deep.equal([]);
    expect(disagreements(broken)).to.deep.equal([]);
    expect(answered(texts).length, 'number-free ones among them still answered').to.be.greaterThan(100);
  });

  it('leaves repeated keys (at any depth, behind __proto__, hiding a number), numbers anywhere and deep nesting to the usual way', () => {
    const nested = (levels: number): string => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;
    const declined = ['{"a":"x","a":"x"}', '{"a":{"b":"1","b":"1"}}', '[{"a":"x"},{"a":{"c":[{"d":"y","d":"y"}]}}]', '{"__proto__":"x","__proto__":"x"}',
      '{"__proto__":{},"__proto__":[]}', '{"a":"x","a":"y"}', '[[{"k":{"k":"1","k":"2"}}]]', '{"a":["x",1],"a":"x"}', '{"a":{"b":["x",-1]},"a":"y"}',
      '{"a":["x",{"n":"1"}],"a":["x",{"n":"1"}]}', '["a", 1]', '["a",-0]', '1', '-0', '0.5', '{"a" :\n -1}', '{"a":\t0}', '[\n 2]', '{"a":"x", "b" : [ true, 1e5 ]}',
      nested(129), `{"a":${nested(128)}}`,
      // declined though plain: a colon or a bracket in a string can look like a key or an array (the scan errs towards the usual way)
      '{"a":["[1]","[ -1 ]"]}', '{"a\\":":"x"}', '{"a":":"}', '[', '{"a":"x",}', '"\\x"', '\ufeff{}', '{"a":"x"} {}'];
    expect(declined.filter((text) => parseJsonWithoutNumbers(text) !== NOT_PLAIN)).to.deep.equal([]);
    expect(disagreements(declined)).to.deep.equal([]);
    expect(() => parseExactJson('{"a":["x",1],"a":"x"}')).to.throw(SyntaxError, "Duplicate key 'a' encountered at position 14");
  });

  it('answers text without numbers or repeats as lossless-json does: __proto__, integer-like keys, escapes, lone surrogates, whitespace, colons in strings', () => {
    const nested = (levels: number): string => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;
    const plain = ['{"__proto__":{"polluted":"yes"}}', '{"constructor":"c","toString":{},"hasOwnProperty":[]}', '"-0"', '"1e400"', '{"b":"1","2":"2","1":"3","a":"4","4294967295":"5","01":"6"}',
      '"\ud800"', '"\\ud800"', '"\udc00\ud800"', '"\u2028\u2029\u007f"', '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\uFFFF"', 'true', 'false', 'null', '""', '[]', '{}',
      ' \t\n\r{ "a" : [ "x" , true , null , { } ] }\r\n', '{"at":"2026-12-03T15:52:59Z","url":"https://example.org:8443/a"}', '[{"sku":"1"},{"sku":"2"},{"skus":"3"}]',
      nested(128), `{"a":${nested(127)}}`, '{"k":"x","K":"x","k ":"x"}'];
    expect(shortcutDisagreements(plain)).to.deep.equal([]);
    expect(plain.filter((text) => parseJsonWithoutNumbers(text) === NOT_PLAIN), 'declined').to.deep.equal([]);
    expect(disagreements(plain)).to.deep.equal([]);
    const proto = parseExactJson('{"__proto__":{"polluted":"yes"}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).to.equal(Object.prototype);
    expect(Object.keys(proto)).to.deep.equal(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('answers an order whose amounts are strings (the 100 KB order of the benchmark) without lossless-json', () => {
    const line = (n: number): string => `{"sku":"${`SKU-${String(n).padStart(6, '0')}-`.padEnd(64, 'X')}","qty":"2","price":"125.00"}`;
    const order = `{"orderId":"SO-1","customerId":"C-42","amount":"250.00","currency":"EUR","lines":[${Array.from({ length: 1000 }, (_, n) => line(n)).join(',')}]}`;
    expect(parseJsonWithoutNumbers(order)).to.not.equal(NOT_PLAIN);
    expect(shortcutDisagreements([order])).to.deep.equal([]);
  });
});
