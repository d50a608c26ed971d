import { expect } from 'chai';
import { prettyBody, prettyJson, prettyXml } from '../../../src/cli/pretty-body';

describe('pretty bodies (src/cli/pretty-body)', () => {
  it('indents JSON keeping every number as written', () => {
    expect(prettyJson('{"a":250.00,"b":[1e3,12345678901234567890.12],"c":{}}')).to.equal(
      '{\n  "a": 250.00,\n  "b": [\n    1e3,\n    12345678901234567890.12\n  ],\n  "c": {}\n}');
  });

  it('leaves text that is not JSON alone', () => {
    expect(prettyJson('{"a":')).to.equal('{"a":');
  });

  it('indents XML one element a line, text-only elements on one line, names, attributes and entities untouched', () => {
    const xml = '<?xml version="1.0"?><a:root xmlns:a="urn:x" note="1 > 0"><b>x &amp; y</b><c/><d><e>1</e></d><!-- hi --></a:root>';
    expect(prettyXml(xml)).to.equal([
      '<?xml version="1.0"?>',
      '<a:root xmlns:a="urn:x" note="1 > 0">',
      '  <b>x &amp; y</b>',
      '  <c/>',
      '  <d>',
      '    <e>1</e>',
      '  </d>',
      '  <!-- hi -->',
      '</a:root>',
    ].join('\n'));
  });

  it('keeps CDATA and empty elements, and returns unbalanced or non-XML text unchanged', () => {
    expect(prettyXml('<a><![CDATA[<b>]]></a>')).to.equal('<a>\n  <![CDATA[<b>]]>\n</a>');
    expect(prettyXml('<a></a>')).to.equal('<a></a>');
    expect(prettyXml('<a><b></a>')).to.equal('<a><b></a>');
    expect(prettyXml('plain text')).to.equal('plain text');
  });

  it('picks the form from the content type', () => {
    expect(prettyBody('{"a":1}', 'application/problem+json')).to.equal('{\n  "a": 1\n}');
    expect(prettyBody('<a><b>1</b></a>', 'text/xml; charset=utf-8')).to.equal('<a>\n  <b>1</b>\n</a>');
    expect(prettyBody('<a><b>1</b></a>', 'text/plain')).to.equal('<a><b>1</b></a>');
    expect(prettyBody('x', undefined)).to.equal('x');
  });
});
