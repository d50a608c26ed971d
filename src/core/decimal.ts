/**
 * A decimal as JSON writes it: sign, digits, optional fraction, optional exponent
 * (`-1000.50`, `2.5E+3`). Leading zeros are accepted (`007`), as text fields often have them.
 */
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal's exact value as 0.DIGITS × 10^exponent: `digits` has no leading or trailing
 * zeros ('' for zero), so comparing exponents then digit strings orders magnitudes.
 */
interface Decimal {
  readonly negative: boolean;
  readonly digits: string;
  readonly exponent: bigint;
}

/** True when `text` is a decimal {@link compareDecimals} can compare. */
export function isDecimalText(text: string): boolean {
  return DECIMAL.test(text);
}

function parse(text: string): Decimal {
  const match = DECIMAL.exec(text);
  if (!match) throw new TypeError(`"${text}" is not a decimal number`);
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const all = whole + fraction;
  const leading = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(leading).replace(/0+$/, '');
  return {
    negative: sign === '-' && digits !== '',
    digits,
    exponent: digits === '' ? 0n : BigInt(whole.length - leading) + BigInt(exponent),
  };
}

function compareMagnitude(a: Decimal, b: Decimal): number {
  if (a.digits === '' || b.digits === '') return (a.digits === '' ? 0 : 1) - (b.digits === '' ? 0 : 1);
  if (a.exponent !== b.exponent) return a.exponent < b.exponent ? -1 : 1;
  // Same exponent: without trailing zeros, digit strings order as text ('12' < '123' < '13').
  return a.digits === b.digits ? 0 : a.digits < b.digits ? -1 : 1;
}

/**
 * Compares two decimal texts exactly (-1, 0 or 1), never through a floating-point number:
 * `1000.001` > `1000.00`, 25-digit values compare digit by digit, `1e3` equals `1000.0`.
 * Throws TypeError when either is not a decimal (check with {@link isDecimalText}).
 */
export function compareDecimals(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const magnitude = compareMagnitude(x, y);
  return x.negative ? -magnitude : magnitude;
}
