/**
 * A shortcut for parseExactJson (./exact-json.ts): JSON text with no number in it and no key
 * twice in one object reads the same through `JSON.parse` as through lossless-json's `parse` —
 * both follow the JSON grammar (the same four whitespace characters, the same escapes, a lone
 * surrogate kept as it is), both make `__proto__` an ordinary own key, and without numbers there
 * is no LosslessNumber to make and without a repeated key nothing for lossless-json to compare or
 * refuse. V8's `JSON.parse` reads such text (an order whose amounts are strings) about twice as
 * fast as the hand parser.
 *
 * Whether the text is such text is proven, not guessed, in two cheap passes around `JSON.parse`:
 * - before: the text's colons that follow a quote (past whitespace) are counted. Every key is a
 *   string followed by a colon, so the count is at least the number of keys in the text (a colon
 *   in a string that follows an escaped quote, as in `"a\":b"`, only makes it larger). A number
 *   right after such a colon or after a `[` gives up at once, before `JSON.parse` is paid for.
 * - after: a walk of the document counts its own keys and gives up at the first number. The
 *   document has one key for each key of the text but for repeats, so when the walk's count
 *   equals the upper bound no key was repeated — and then every number of the text would be a
 *   number in the document, so none was there.
 * Anything else (text JSON.parse refuses, a number, a possible repeat, nesting deeper than
 * {@link MAX_DEPTH}) answers {@link NOT_PLAIN}, and parseExactJson reads the text as before.
 */
export const NOT_PLAIN: unique symbol = Symbol('json-without-numbers: not plain');

/**
 * Deeper documents go the usual way: lossless-json's parse is recursive and decides how deep is too
 * deep (a RangeError), while `JSON.parse` is not and would read what lossless-json cannot.
 */
const MAX_DEPTH = 128;

/** `JSON.parse(text)` when that is exactly what lossless-json's parse gives, else NOT_PLAIN. */
export function parseJsonWithoutNumbers(text: string): unknown {
  const maxKeys = keysAtMost(text);
  if (maxKeys < 0) return NOT_PLAIN;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return NOT_PLAIN; // not JSON: the usual way gives lossless-json's own error
  }
  try {
    return countKeys(value, 0) === maxKeys ? value : NOT_PLAIN;
  } catch {
    return NOT_PLAIN; // the walk ran out of stack (it never does below MAX_DEPTH, but it decides nothing)
  }
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function isNumberStart(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

/** At least as many as the keys in the text: colons that follow a quote; -1 when a number follows one, or a `[`. */
function keysAtMost(text: string): number {
  let keys = 0;
  for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon + 1)) {
    let before = colon - 1;
    while (isWhitespace(text.charCodeAt(before))) before -= 1;
    if (text.charCodeAt(before) !== 0x22) continue;
    keys += 1;
    let after = colon + 1;
    while (isWhitespace(text.charCodeAt(after))) after += 1;
    if (isNumberStart(text.charCodeAt(after))) return -1;
  }
  for (let bracket = text.indexOf('['); bracket >= 0; bracket = text.indexOf('[', bracket + 1)) {
    let after = bracket + 1;
    while (isWhitespace(text.charCodeAt(after))) after += 1;
    if (isNumberStart(text.charCodeAt(after))) return -1;
  }
  return keys;
}

/** The own keys of every object in `value` (a document of JSON.parse); -1 at the first number, or deeper than MAX_DEPTH. */
function countKeys(value: unknown, depth: number): number {
  if (typeof value !== 'object' || value === null) return typeof value === 'number' ? -1 : 0;
  if (depth === MAX_DEPTH) return -1;
  const isArray = Array.isArray(value);
  const items: readonly unknown[] = isArray ? value : Object.values(value as Record<string, unknown>);
  let count = isArray ? 0 : items.length;
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i];
    if (typeof item === 'number') return -1;
    if (typeof item === 'object' && item !== null) {
      const inner = countKeys(item, depth + 1);
      if (inner < 0) return -1;
      count += inner;
    }
  }
  return count;
}
