import { expect } from 'chai';
import { isCardNumber } from '../../../src/security/masking/card-number';

/** `body` with the Luhn check digit appended. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d += 1) {
    const digits = `${body}${d}`;
    let sum = 0;
    for (let i = 0; i < digits.length; i += 1) {
      let v = digits.charCodeAt(digits.length - 1 - i) - 48;
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return digits;
  }
  throw new Error('unreachable');
}

describe('isCardNumber: a card scheme\'s prefix and length, and the Luhn check', () => {
  it('accepts the schemes\' published test numbers', () => {
    const pans = [
      '4111111111111111', '4222222222222', '4012888888881881', // Visa 16 and 13
      '5555555555554444', '2223003122003222', // Mastercard 5x and 2-series
      '378282246310005', '371449635398431', // American Express
      '6011111111111117', '6011000990139424', // Discover
      '30569309025904', '36227206271667', // Diners Club (14)
      '3530111333300000', '3566002020360505', // JCB
      '6200000000000005', '6759649826438453', // UnionPay, Maestro
      withCheckDigit('220012345678901'), withCheckDigit('400012341234123412'), withCheckDigit('810012345678901'), withCheckDigit('979212345678901'),
    ];
    for (const pan of pans) expect(isCardNumber(pan), pan).to.equal(true);
  });

  it('refuses numbers that fail the Luhn check', () => {
    expect(isCardNumber('4111111111111112')).to.equal(false);
    expect(isCardNumber('5555555555554445')).to.equal(false);
  });

  it('leaves Luhn-valid numbers alone whose prefix or length no scheme issues', () => {
    const others = [
      withCheckDigit('100000000000000'), // starts with 1 (airlines): order and account numbers
      withCheckDigit('70000000000000000'), withCheckDigit('00000123456789'), // 7, and zero-padded ids
      withCheckDigit('20261203144700000'), // a timestamp-shaped id starting 2, outside 2200–2204 and 2221–2720
      withCheckDigit('41111111111111'), // Visa prefix, 15 digits
      withCheckDigit('5500000000000'), // Mastercard prefix, 14 digits
      withCheckDigit('3700000000000000'), // American Express prefix, 16 digits
      withCheckDigit('3100000000000000'), // 31: no scheme
      withCheckDigit('900000000000000'), withCheckDigit('830000000000000'),
    ];
    for (const number of others) expect(isCardNumber(number), number).to.equal(false);
  });

  it('refuses runs shorter than 13 or longer than 19 digits', () => {
    expect(isCardNumber(withCheckDigit('41111111111'))).to.equal(false);
    expect(isCardNumber(withCheckDigit('6011111111111111111'))).to.equal(false);
  });
});
