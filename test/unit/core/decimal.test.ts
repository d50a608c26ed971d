import { expect } from 'chai';
import { compareDecimals, isDecimalText as isDecimal } from '../../../src/core/decimal';

describe('exact decimal comparison', () => {
  const cases: [string, string, number][] = [
    ['1000.001', '1000.00', 1], ['1000.00', '1000', 0], ['999.999', '1000', -1], ['-1', '0', -1], ['-0.00', '0', 0],
    ['-2.5', '-2.4', -1], ['0010', '10', 0], ['12345678901234567890.123456789', '12345678901234567890.12345678', 1],
    ['9007199254740993', '9007199254740992', 1], // equal as doubles, not as decimals
  ];
  for (const [a, b, expected] of cases) {
    it(`${a} vs ${b} → ${expected}`, () => {
      expect(compareDecimals(a, b)).to.equal(expected);
      expect(compareDecimals(b, a)).to.equal(-expected || 0);
    });
  }
  it('recognises plain decimals only', () => {
    expect(['250', '250.00', '-0.5', '0'].every(isDecimal)).to.equal(true);
    expect(['12,50', '', '.5', '5.', 'NaN'].some(isDecimal)).to.equal(false);
  });
});
