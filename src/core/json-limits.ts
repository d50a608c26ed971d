/**
 * Structural checks on JSON text from outside, before anything is built from it: nesting depth
 * (a 100,000-deep array would otherwise exhaust the stack of every recursive walk after the
 * parse) and keys that name JavaScript's object machinery (`__proto__`, `constructor`,
 * `prototype`), which have no business meaning and are the raw material of prototype pollution.
 */

/** Deepest nesting of objects and arrays accepted (the same default as XML's depth). */
export const DEFAULT_JSON_MAX_DEPTH = 100;

/** Keys refused anywhere in a JSON document from outside. */
export const FORBIDDEN_JSON_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a JSON text was refused: too deep, or a forbidden key. */
export class JsonRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonRefusedError';
  }
}

/** Throws {@link JsonRefusedError} when objects and arrays nest deeper than `maxDepth`; one linear scan, strings skipped. */
export function checkJsonDepth(text: string, maxDepth: number = DEFAULT_JSON_MAX_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > maxDepth) throw new JsonRefusedError(`objects and arrays are nested deeper than ${maxDepth} levels`);
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
}

/**
 * Text in which a forbidden key could be written: one of their names literally, or a `\u` escape
 * (JSON has no other way to spell a letter). Text without any of them cannot hold such a key.
 */
const MAY_HOLD_FORBIDDEN_KEY = new RegExp(`${[...FORBIDDEN_JSON_KEYS].map((k) => k.replace(/[^A-Za-z0-9]/g, '\\$&')).join('|')}|\\\\u`);

function refuseForbidden(key: string, value: unknown): unknown {
  if (FORBIDDEN_JSON_KEYS.has(key)) throw new JsonRefusedError(`the key "${key}" is not accepted in a JSON body`);
  return value;
}

/**
 * JSON.parse with the depth check first, refusing {@link FORBIDDEN_JSON_KEYS} anywhere. Throws
 * {@link JsonRefusedError} for those, SyntaxError for text that is not JSON. The key check is a
 * reviver — a call per value, the larger part of the parse — used only when the text could hold
 * such a key at all (see {@link MAY_HOLD_FORBIDDEN_KEY}); other text goes through plain JSON.parse.
 */
export function parseJsonSafely(text: string, maxDepth: number = DEFAULT_JSON_MAX_DEPTH): unknown {
  checkJsonDepth(text, maxDepth);
  return MAY_HOLD_FORBIDDEN_KEY.test(text) ? JSON.parse(text, refuseForbidden) : JSON.parse(text);
}
