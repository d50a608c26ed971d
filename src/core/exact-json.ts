import { LosslessNumber, parse as parseLossless } from 'lossless-json';
import { NOT_PLAIN, parseJsonWithoutNumbers } from './json-without-numbers';

/**
 * `lossless-json`'s `parse(text)`, faster: the same document (plain objects, arrays, strings,
 * booleans, null, a LosslessNumber with the exact source text for every number; keys in the
 * order a JavaScript object keeps them; `__proto__` an ordinary own key), the same SyntaxError.
 *
 * lossless-json builds every string a character at a time (`result += text[i]`); with a 100 KB
 * order that was a sixth of the worker's busy time. This parser reads a string without escapes
 * as one slice of the text and a number as the slice of its digits.
 *
 * It only ever answers for text it fully understands. Anything else — text that is not JSON, an
 * object that repeats a key (lossless-json accepts a repeat with a deeply equal value, by its own
 * notion of equal, and refuses one with another value), nesting deeper than the stack — is handed
 * to lossless-json's own parse, which gives the document or throws its SyntaxError with its
 * message and position. So callers see exactly what lossless-json would give them, error
 * messages included; the fast path is only ever a shortcut (test/unit/core/exact-json.test.ts
 * compares the two on thousands of generated documents).
 *
 * Text with no number and no repeated key — orders whose amounts are strings — is read by V8's
 * `JSON.parse` instead, which gives the same document about twice as fast; ./json-without-numbers.ts
 * proves that the text is such text before it answers.
 *
 * Not re-entrant (the text being read is module state) — nothing it calls can call back into it.
 */
export function parseExactJson(source: string): unknown {
  const plain = parseJsonWithoutNumbers(source);
  if (plain !== NOT_PLAIN) return plain;
  text = source;
  at = 0;
  try {
    const value = readValue();
    if (skipWhitespace() === source.length) return value;
    throw DEFER;
  } catch {
    // DEFER, or a RangeError (nesting deeper than the stack): lossless-json decides, so even how
    // deep a document may nest before the stack runs out is lossless-json's (one frame aside).
    return parseLossless(source);
  } finally {
    text = '';
    depth = 0;
    forgetKeys();
  }
}

/** Thrown inside the fast path to give the text to lossless-json's parse instead (not an Error: no stack to capture). */
const DEFER: unique symbol = Symbol('exact-json: defer to lossless-json');

let text = '';
let at = 0;
/** How many objects and arrays enclose the value being read. */
let depth = 0;

/**
 * Keys are read by comparing the text with the key last read at the same place (nesting depth,
 * position in the object), so an array of like objects — an order's lines — reuses one key string
 * per name instead of slicing a new one to be looked up again for every line (a third of the time
 * of a 100 KB order). Only keys read without escapes are remembered (a remembered key followed by
 * a quote in the text is then exactly that key), and all are forgotten after each parse: a key
 * sliced from a large body would otherwise keep the body alive.
 */
const KEY_DEPTHS = 8;
const KEY_POSITIONS = 16;
const recentKeys: Array<string | undefined> = new Array<string | undefined>(KEY_DEPTHS * KEY_POSITIONS).fill(undefined);
const rememberedSlots: number[] = [];

function forgetKeys(): void {
  for (const slot of rememberedSlots) recentKeys[slot] = undefined;
  rememberedSlots.length = 0;
}

/** The key whose opening quote was just read, at `position` in its object. */
function readKey(position: number): string {
  const slot = depth < KEY_DEPTHS && position < KEY_POSITIONS ? depth * KEY_POSITIONS + position : -1;
  if (slot < 0) return readString();
  const recent = recentKeys[slot];
  if (recent !== undefined && text.startsWith(recent, at) && text.charCodeAt(at + recent.length) === 0x22) {
    at += recent.length + 1;
    return recent;
  }
  const start = at;
  const key = readString();
  if (at - start === key.length + 1) { // no escapes: the text between the quotes is the key
    if (recent === undefined) rememberedSlots.push(slot);
    recentKeys[slot] = key;
  }
  return key;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Moves past JSON whitespace (space, tab, LF, CR: no BOM, no other Unicode space); the position reached. */
function skipWhitespace(): number {
  let c = text.charCodeAt(at);
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++at);
  return at;
}

function readValue(): unknown {
  skipWhitespace();
  const c = text.charCodeAt(at);
  switch (c) {
    case 0x22: // "
      at += 1;
      return readString();
    case 0x7b: // {
      return readObject();
    case 0x5b: // [
      return readArray();
    case 0x74: // t
      return readKeyword('true', true);
    case 0x66: // f
      return readKeyword('false', false);
    case 0x6e: // n
      return readKeyword('null', null);
    default:
      if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return readNumber();
      throw DEFER;
  }
}

function readKeyword<T>(word: string, value: T): T {
  if (!text.startsWith(word, at)) throw DEFER;
  at += word.length;
  return value;
}

function readObject(): Record<string, unknown> {
  at += 1;
  const object: Record<string, unknown> = {};
  skipWhitespace();
  if (text.charCodeAt(at) === 0x7d) {
    at += 1;
    return object;
  }
  depth += 1;
  for (let position = 0; ; position += 1) {
    if (text.charCodeAt(at) !== 0x22) throw DEFER;
    at += 1;
    const key = readKey(position);
    skipWhitespace();
    if (text.charCodeAt(at) !== 0x3a) throw DEFER;
    at += 1;
    const value = readValue();
    // A value is never undefined, so an own key reads as defined: only then is hasOwn asked
    // (inherited names such as "constructor" or "__proto__" read as defined too).
    if (object[key] !== undefined && hasOwn.call(object, key)) throw DEFER;
    if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
    else object[key] = value;
    skipWhitespace();
    const c = text.charCodeAt(at);
    at += 1;
    if (c === 0x2c) {
      skipWhitespace();
    } else if (c === 0x7d) {
      depth -= 1;
      return object;
    } else {
      throw DEFER;
    }
  }
}

function readArray(): unknown[] {
  at += 1;
  const array: unknown[] = [];
  skipWhitespace();
  if (text.charCodeAt(at) === 0x5d) {
    at += 1;
    return array;
  }
  depth += 1;
  for (;;) {
    array.push(readValue());
    skipWhitespace();
    const c = text.charCodeAt(at);
    at += 1;
    if (c === 0x5d) {
      depth -= 1;
      return array;
    }
    if (c !== 0x2c) throw DEFER;
  }
}

/** The string whose opening quote was just read: one slice when it has no escapes. */
function readString(): string {
  const start = at;
  for (;;) {
    const c = text.charCodeAt(at);
    if (c === 0x22) {
      at += 1;
      return text.slice(start, at - 1);
    }
    if (c === 0x5c) return readEscapedString(start);
    if (!(c >= 0x20)) throw DEFER; // a control character, or the end of the text (NaN)
    at += 1;
  }
}

/** The rest of a string from its first backslash (at `at`); `start` is where its text began. */
function readEscapedString(start: number): string {
  let result = '';
  let run = start;
  for (;;) {
    const c = text.charCodeAt(at);
    if (c === 0x22) {
      result += text.slice(run, at);
      at += 1;
      return result;
    }
    if (c === 0x5c) {
      result += text.slice(run, at);
      result += readEscape();
      run = at;
    } else if (c >= 0x20) {
      at += 1;
    } else {
      throw DEFER;
    }
  }
}

/** The character an escape at `at` (a backslash) stands for; moves past it. */
function readEscape(): string {
  const c = text.charCodeAt(at + 1);
  at += 2;
  switch (c) {
    case 0x22: return '"';
    case 0x5c: return '\\';
    case 0x2f: return '/';
    case 0x62: return '\b';
    case 0x66: return '\f';
    case 0x6e: return '\n';
    case 0x72: return '\r';
    case 0x74: return '\t';
    case 0x75: { // \uXXXX: any code unit, a lone surrogate too (as lossless-json)
      const code = (hex(at) << 12) | (hex(at + 1) << 8) | (hex(at + 2) << 4) | hex(at + 3);
      at += 4;
      return String.fromCharCode(code);
    }
    default: throw DEFER;
  }
}

function hex(index: number): number {
  const c = text.charCodeAt(index);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  throw DEFER;
}

/** A number (at `at`, a minus or a digit) as a LosslessNumber of exactly its text. */
function readNumber(): LosslessNumber {
  const start = at;
  let c = text.charCodeAt(at);
  if (c === 0x2d) c = text.charCodeAt(++at);
  if (c === 0x30) {
    c = text.charCodeAt(++at);
  } else if (c >= 0x31 && c <= 0x39) {
    c = skipDigits();
  } else {
    throw DEFER;
  }
  if (c === 0x2e) {
    at += 1;
    c = skipOneOrMoreDigits();
  }
  if (c === 0x65 || c === 0x45) {
    c = text.charCodeAt(++at);
    if (c === 0x2b || c === 0x2d) at += 1;
    skipOneOrMoreDigits();
  }
  return new LosslessNumber(text.slice(start, at));
}

/** Moves past digits; the code after them. */
function skipDigits(): number {
  let c = text.charCodeAt(at);
  while (c >= 0x30 && c <= 0x39) c = text.charCodeAt(++at);
  return c;
}

function skipOneOrMoreDigits(): number {
  const c = text.charCodeAt(at);
  if (!(c >= 0x30 && c <= 0x39)) throw DEFER;
  return skipDigits();
}
