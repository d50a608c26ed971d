/**
 * A deterministic generator of JSON texts for differential tests of parsers: written as text (not
 * through JSON.stringify) so that every spelling a parser must cope with turns up — whitespace of
 * every kind between tokens, every escape, `\u` escapes of lone and paired surrogates, raw
 * non-ASCII and lone surrogates, numbers with signs, fractions, exponents, trailing zeros and -0,
 * integer-like keys, `__proto__` and other names of Object.prototype, keys repeated with the same
 * text, with a different value, or with a value lossless-json counts as equal (`[]` and `{}`),
 * arrays of like objects whose keys differ in a letter or only in how they are escaped. With
 * `numbers` false it writes no number at all (a number's text becomes a string: `"-0"`, `"1e5"`),
 * for the texts parseExactJson hands to JSON.parse.
 */

/** mulberry32: a small seeded pseudo-random generator (same seed, same sequence on every machine). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

const WHITESPACE = [' ', '  ', '\t', '\n', '\r\n', '\n    ', ' \t\r\n'];
const ESCAPES = ['\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t'];
const RAW = ['é', 'ß', '中文', '😀', '\u2028', '\u2029', '\u007f', '\ufeff', '\ud800', '\udfff', '\u00a0', 'x\u0300'];
const UNICODE_ESCAPES = ['\\u0041', '\\u00e9', '\\u00E9', '\\u0000', '\\u001f', '\\u2028', '\\ud83d\\ude00', '\\uD83D\\uDE00', '\\ud800', '\\udc00', '\\uffff', '\\u005c', '\\u0022'];
const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;!?#$%&\'()*+<=>@[]^`{|}~';
const KEYS = ['sku', 'qty', 'price', 'amount', 'a', 'b', '', ' ', '0', '1', '2', '10', '01', '-1', '1.5', '4294967294', '4294967295',
  '9007199254740993', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isLosslessNumber', 'value', 'length'];
/** Names that share prefixes, for arrays of like objects (a key read by comparison must match it whole). */
const RECORD_KEYS = ['sku', 'skus', 'sk', 'qty', 'qtY', 'price', 'priceEUR', 'a_rather_long_key_name', 'a_rather_long_key_nam'];
const LITERALS = ['true', 'false', 'null'];

function ws(r: Random): string {
  return r.chance(0.6) ? '' : r.pick(WHITESPACE);
}

function asciiRun(r: Random, max: number): string {
  let out = '';
  const length = 1 + r.int(max);
  for (let i = 0; i < length; i += 1) out += ASCII[r.int(ASCII.length)];
  return out;
}

/** A JSON string literal (quotes included). */
export function stringLiteral(r: Random): string {
  let body = '';
  const pieces = r.int(6);
  for (let i = 0; i < pieces; i += 1) {
    const kind = r.int(10);
    if (kind < 4) body += asciiRun(r, kind === 0 ? 40 : 8);
    else if (kind < 6) body += r.pick(ESCAPES);
    else if (kind < 8) body += r.pick(UNICODE_ESCAPES);
    else body += r.pick(RAW);
  }
  return `"${body}"`;
}

/** A JSON number: sign, integer part (0 or up to 30 digits), fraction, exponent. */
export function numberLiteral(r: Random): string {
  if (r.chance(0.05)) return r.pick(['0', '-0', '-0.0', '0e0', '1E+2', '-0.5e-2', '9007199254740993', '1e400', '1e-400', '10.50', '250.00']);
  let text = r.chance(0.3) ? '-' : '';
  if (r.chance(0.2)) text += '0';
  else {
    text += String(1 + r.int(9));
    const more = r.chance(0.1) ? 15 + r.int(16) : r.int(5);
    for (let i = 0; i < more; i += 1) text += String(r.int(10));
  }
  if (r.chance(0.4)) {
    text += '.';
    const digits = 1 + r.int(r.chance(0.1) ? 25 : 4);
    for (let i = 0; i < digits; i += 1) text += String(r.int(10));
  }
  if (r.chance(0.15)) text += `${r.pick(['e', 'E'])}${r.pick(['', '+', '-'])}${1 + r.int(400)}`;
  return text;
}

/** A key literal: usually from a small pool (so keys repeat), sometimes escaped, sometimes random. */
function keyLiteral(r: Random, pool: readonly string[]): string {
  if (r.chance(0.15)) return stringLiteral(r);
  const key = r.pick(pool);
  // Sometimes spell one letter as a \u escape: the same key, written differently.
  if (key.length > 0 && r.chance(0.15)) {
    const i = r.int(key.length);
    return `"${key.slice(0, i)}\\u${key.charCodeAt(i).toString(16).padStart(4, '0')}${key.slice(i + 1)}"`;
  }
  return `"${key}"`;
}

/** Values lossless-json's duplicate-key check counts as equal though they differ (its isDeepEqual). */
const LOOSELY_EQUAL: ReadonlyArray<readonly [string, string]> = [['[]', '{}'], ['["a"]', '{"0":"a"}'], ['1', '{"value":"1","isLosslessNumber":true}'], ['[1]', '[1.0]']];
const LOOSELY_EQUAL_WITHOUT_NUMBERS = LOOSELY_EQUAL.filter((pair) => !/[0-9]/.test(pair.join('').replace(/"[^"]*"/g, '')));

function objectLiteral(r: Random, depth: number, pool: readonly string[], numbers: boolean): string {
  const members: string[] = [];
  const keys: string[] = [];
  const values: string[] = [];
  const add = (key: string, value: string): void => {
    members.push(`${ws(r)}${key}${ws(r)}:${value}`);
    keys.push(key);
    values.push(value);
  };
  const count = r.int(6);
  for (let i = 0; i < count; i += 1) {
    const repeat = keys.length > 0 && r.chance(0.1) ? r.int(keys.length) : -1;
    if (repeat < 0) {
      add(keyLiteral(r, pool), valueLiteral(r, depth + 1, numbers));
    } else if (r.chance(0.5)) {
      add(keys[repeat]!, r.chance(0.6) ? values[repeat]! : valueLiteral(r, depth + 1, numbers)); // the same text, or most likely another value
    } else {
      const [first, second] = r.pick(numbers ? LOOSELY_EQUAL : LOOSELY_EQUAL_WITHOUT_NUMBERS);
      const key = keyLiteral(r, pool);
      add(key, first);
      add(key, second);
    }
  }
  return `{${members.join(',')}${ws(r)}}`;
}

/** An array of objects alike in their keys (an order's lines), keys at times one letter apart. */
function recordsLiteral(r: Random, depth: number, numbers: boolean): string {
  const keys = Array.from({ length: 1 + r.int(5) }, () => r.pick(RECORD_KEYS));
  const records = Array.from({ length: 1 + r.int(6) }, () => {
    const own = keys.map((k) => (r.chance(0.1) ? r.pick(RECORD_KEYS) : k));
    return `{${own.map((k) => `${ws(r)}${keyLiteral(r, [k])}:${valueLiteral(r, depth + 2, numbers)}`).join(',')}}`;
  });
  return `[${records.join(',')}]`;
}

/** Any JSON value as text, with whitespace around it at times; deeper values are smaller. */
export function valueLiteral(r: Random, depth = 0, numbers = true): string {
  const scalarOnly = depth >= 5;
  const kind = r.int(scalarOnly ? 6 : 10);
  let text: string;
  if (kind < 2) text = stringLiteral(r);
  else if (kind < 4) text = numbers ? numberLiteral(r) : `"${numberLiteral(r)}"`;
  else if (kind < 6) text = r.pick(LITERALS);
  else if (kind < 8) text = objectLiteral(r, depth, KEYS, numbers);
  else if (kind < 9) text = `[${Array.from({ length: r.int(5) }, () => valueLiteral(r, depth + 1, numbers)).join(',')}${ws(r)}]`;
  else text = recordsLiteral(r, depth, numbers);
  return `${ws(r)}${text}${ws(r)}`;
}

/** Characters that matter to a JSON parser, for breaking documents. */
const BREAKERS = ['{', '}', '[', ']', ':', ',', '"', '\\', '-', '+', '.', '0', '1', 'e', 'E', 't', 'n', 'x', ' ', '\u0000', '\u001f', '\ufeff', '\u00a0'];

/** `text` broken one way: a character dropped or inserted, cut short, or something appended. */
export function mutate(r: Random, text: string): string {
  const at = r.int(text.length + 1);
  switch (r.int(4)) {
    case 0: return text.slice(0, at) + text.slice(at + 1);
    case 1: return text.slice(0, at) + r.pick(BREAKERS) + text.slice(at);
    case 2: return text.slice(0, at);
    default: return text + r.pick([',', '}', ']', '0', 'x', ' x', '\ufeff', '{}', '""']);
  }
}
