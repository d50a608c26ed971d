/** A decimal number as text: optional minus, digits, optional fraction (no exponent). */
export const DECIMAL_PATTERN = /^-?(0|[1-9][0-9]*|[0-9]+)(\.[0-9]+)?$/;

/** True when `text` is a plain decimal (`250`, `250.00`, `-0.5`). */
export function isDecimal(text: string): boolean {
  return DECIMAL_PATTERN.test(text);
}

function split(text: string): { negative: boolean; whole: string; fraction: string } {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  return { negative, whole: whole.replace(/^0+(?=\d)/, ''), fraction: fraction.replace(/0+$/, '') };
}

function compareMagnitude(a: { whole: string; fraction: string }, b: { whole: string; fraction: string }): number {
  if (a.whole.length !== b.whole.length) return a.whole.length < b.whole.length ? -1 : 1;
  if (a.whole !== b.whole) return a.whole < b.whole ? -1 : 1;
  const width = Math.max(a.fraction.length, b.fraction.length);
  const fa = a.fraction.padEnd(width, '0');
  const fb = b.fraction.padEnd(width, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/**
 * Compares two decimals exactly, digit by digit — never through a floating-point number, so
 * `1000.001 > 1000.00` and 25-digit amounts compare right. Returns -1, 0 or 1. Both must pass
 * {@link isDecimal}.
 */
export function compareDecimals(a: string, b: string): number {
  const x = split(a);
  const y = split(b);
  const xZero = /^0*$/.test(x.whole) && x.fraction === '';
  const yZero = /^0*$/.test(y.whole) && y.fraction === '';
  const xNeg = x.negative && !xZero;
  const yNeg = y.negative && !yZero;
  if (xNeg !== yNeg) return xNeg ? -1 : 1;
  const magnitude = compareMagnitude(x, y);
  return xNeg ? -magnitude : magnitude;
}
