import { expect } from 'chai';
import { checkJsonDepth, JsonRefusedError, parseJsonSafely } from '../../../src/core/json-limits';
import { checkXmlLimits, DEFAULT_XML_LIMITS, parseXml, XmlRefusedError, XmlSyntaxError } from '../../../src/core/xml';

describe('XML limits (core/xml-limits)', () => {
  const limits = { ...DEFAULT_XML_LIMITS, maxDepth: 5, maxElements: 10, maxAttributes: 3, maxNameLength: 20 };

  it('accepts a document within every limit, comments, CDATA and PIs holding markup-like text included', () => {
    checkXmlLimits('<?xml version="1.0"?><!-- <a><a><a><a><a><a> --><r a="1" b=\'>\'><x><![CDATA[<y><y><y><y><y><y>]]></x><?pi <z>?></r>', limits);
  });

  it('refuses nesting deeper than maxDepth, counting only open elements', () => {
    checkXmlLimits(`${'<a>'.repeat(5)}${'</a>'.repeat(5)}`, limits);
    expect(() => checkXmlLimits(`${'<a>'.repeat(6)}${'</a>'.repeat(6)}`, limits)).to.throw(XmlRefusedError, 'nested deeper than 5 levels');
    expect(() => checkXmlLimits(`<r>${'<a/>'.repeat(5)}</r>`, limits)).not.to.throw();
  });

  it('refuses more than maxElements elements, more than maxAttributes attributes and over-long names', () => {
    expect(() => checkXmlLimits(`<r>${'<a/>'.repeat(10)}</r>`, limits)).to.throw(XmlRefusedError, 'more than 10 elements');
    expect(() => checkXmlLimits('<r a="1" b="2" c="3" d="4"/>', limits)).to.throw(XmlRefusedError, 'more than 3 attributes');
    expect(() => checkXmlLimits(`<${'n'.repeat(21)}/>`, limits)).to.throw(XmlRefusedError, 'longer than 20 characters');
  });

  it('refuses any markup declaration, wherever it stands (DOCTYPE after a comment, ENTITY inside an element)', () => {
    expect(() => checkXmlLimits('<!-- x --><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>', limits)).to.throw(XmlRefusedError, 'DOCTYPE');
    expect(() => checkXmlLimits('<r><!ENTITY e SYSTEM "file:///etc/passwd"></r>', limits)).to.throw(XmlRefusedError);
  });

  it('refuses 100,000-deep nesting in well under a second, before any DOM is built', () => {
    const text = `${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`;
    const started = process.hrtime.bigint();
    expect(() => parseXml(text)).to.throw(XmlSyntaxError, 'nested deeper than 100 levels');
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(1000);
  });

  it('parseXml holds every parser to the limits (billion laughs never reaches the parser)', () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
    expect(() => parseXml(laughs)).to.throw(XmlSyntaxError, 'DOCTYPE');
  });
});

describe('JSON limits (core/json-limits)', () => {
  it('refuses nesting deeper than the limit and ignores brackets inside strings', () => {
    checkJsonDepth('{"a":"[[[[[[[[[[[[[[[[[[[[","b":[[1]]}', 3);
    expect(() => checkJsonDepth('[[[[1]]]]', 3)).to.throw(JsonRefusedError, 'deeper than 3');
    expect(() => checkJsonDepth(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).to.throw(JsonRefusedError);
  });

  it('refuses __proto__, constructor and prototype keys at any depth; escaped quotes do not fool the scan', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      expect(() => parseJsonSafely(`{"a":{"b":[{"${key}":{"polluted":true}}]}}`)).to.throw(JsonRefusedError, key);
    }
    expect(parseJsonSafely('{"a":"x\\"y","proto":1}')).to.deep.equal({ a: 'x"y', proto: 1 });
    // Spelt with \u escapes, in a key or inside a string, anywhere in the text.
    expect(() => parseJsonSafely('{"a":[{"\\u005f_proto__":{"polluted":true}}]}')).to.throw(JsonRefusedError, '__proto__');
    expect(() => parseJsonSafely('{"\\u0063onstructor":1}')).to.throw(JsonRefusedError, 'constructor');
    expect(() => parseJsonSafely('{"protot\\u0079pe":1}')).to.throw(JsonRefusedError, 'prototype');
    expect(parseJsonSafely('{"name":"\\u00e9t\\u00e9","n":[1,2.50]}')).to.deep.equal({ name: 'été', n: [1, 2.5] });
    expect(parseJsonSafely('{"note":"a constructor of prototypes"}')).to.deep.equal({ note: 'a constructor of prototypes' });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});
