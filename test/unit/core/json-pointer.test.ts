import { expect } from 'chai';
import { compilePointer, getByPointer } from '../../../src/core/json-pointer';

describe('JSON pointers (src/core/json-pointer)', () => {
  it('compiles a pointer once into its decoded tokens, frozen', () => {
    const pointer = compilePointer('/lines/0/a~1b/c~0d/~01');
    expect(pointer.text).to.equal('/lines/0/a~1b/c~0d/~01');
    expect(pointer.tokens).to.deep.equal(['lines', '0', 'a/b', 'c~d', '~1']);
    expect(Object.isFrozen(pointer) && Object.isFrozen(pointer.tokens)).to.equal(true);
    expect(compilePointer('').tokens).to.deep.equal([]);
  });

  it('reads own properties and array items, undefined for anything missing; a string reads the same as its compiled form', () => {
    const document = JSON.parse('{"order":{"id":"SO-1","lines":[{"sku":"W-1"}],"a/b":1,"__proto__":{"x":2}}}') as unknown;
    const cases: [string, unknown][] = [
      ['/order/id', 'SO-1'], ['/order/lines/0/sku', 'W-1'], ['/order/a~1b', 1], ['/order/__proto__/x', 2],
      ['/order/lines/1/sku', undefined], ['/order/id/length', undefined], ['/order/toString', undefined], ['/nothing', undefined],
    ];
    for (const [text, expected] of cases) {
      expect(getByPointer(document, compilePointer(text)), text).to.equal(expected);
      expect(getByPointer(document, text), text).to.equal(expected);
    }
    expect(getByPointer(document, '')).to.equal(document);
  });
});
