/**
 * An RFC 6901 JSON pointer parsed into its reference tokens (`/lines/0/sku` → `lines`, `0`,
 * `sku`; `~1` and `~0` decoded). Junction's pointers all come from configuration — business keys,
 * mapping tables, field rules, routing conditions — so each is compiled once, where that
 * configuration is compiled at boot, and read for every message without being parsed again.
 * Their syntax is checked before that, by the schemas that name the configuration path.
 */
export interface JsonPointer {
  /** The pointer as written (for messages and violation paths). */
  readonly text: string;
  readonly tokens: readonly string[];
}

/** Parses a pointer once (at boot). `''` is the whole document. */
export function compilePointer(text: string): JsonPointer {
  const tokens = text === '' ? [] : text.slice(1).split('/').map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  return Object.freeze({ text, tokens: Object.freeze(tokens) });
}

/**
 * Reads the value at a JSON pointer (`/order/id`, `/lines/0/sku`); undefined when any part is
 * missing. Only own properties are followed, so `__proto__` never reaches a prototype. Pass a
 * pointer compiled at boot; a string is parsed on every call (nothing is cached, so a pointer
 * built from data could not grow memory either).
 */
export function getByPointer(document: unknown, pointer: JsonPointer | string): unknown {
  let current: unknown = document;
  for (const key of (typeof pointer === 'string' ? compilePointer(pointer) : pointer).tokens) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
