import { expect } from 'chai';
import { compareDecimals, isDecimalText } from '../../../../src/core/decimal';

describe('exact decimal comparison', () => {
  const cases: [string, string, number][] = [
    ['1000.00', '1000.001', -1],
    ['1000.001', '1000.00', 1],
    ['1000.00', '1000', 0],
    ['1000.10', '1000.1', 0],
    ['007', '7.000', 0],
    ['0', '-0.000', 0],
    ['-0.5', '0', -1],
    ['-2', '-10', 1],
    ['-10.5', '-10.25', -1],
    ['0.001', '0.01', -1],
    ['9999999999999999999999999', '10000000000000000000000000', -1],
    ['1234567890123456789012345.01', '1234567890123456789012345.009', 1],
    ['1234567890123456789012345', '1234567890123456789012346', -1], // equal as floats
    ['0.1000000000000000000000001', '0.1', 1],
    ['1e3', '1000.0', 0],
    ['2.5E+3', '2499.99', 1],
    ['1E-3', '0.001', 0],
    ['12', '123', -1],
    ['13', '123', -1],
    ['+5', '5', 0],
  ];
  for (const [a, b, expected] of cases) {
    it(`${a} ${expected < 0 ? '<' : expected > 0 ? '>' : '='} ${b}`, () => {
      expect(compareDecimals(a, b)).to.equal(expected);
      expect(compareDecimals(b, a)).to.equal(-expected || 0);
    });
  }

  it('knows decimal texts from others', () => {
    expect(['1', '-1.50', '1e3', '007'].map(isDecimalText)).to.deep.equal([true, true, true, true]);
    expect(['', '1.', '.5', '1,000.00', 'NaN', 'Infinity', '0x10', ' 1'].map(isDecimalText)).to.deep.equal(Array(8).fill(false));
    expect(() => compareDecimals('abc', '1')).to.throw(TypeError);
  });
});
