/** Parsed pointers by text: pointers come from configuration, so there are few, used for every message. */
const parsedPointers = new Map<string, readonly string[]>();
/** Bound on {@link parsedPointers}, in case a caller passes pointers that come from data. */
const MAX_PARSED_POINTERS = 10_000;

/** The reference tokens of an RFC 6901 JSON pointer (`/lines/0/sku` → `lines`, `0`, `sku`), `~1` and `~0` decoded. */
export function pointerTokens(pointer: string): readonly string[] {
  let tokens = parsedPointers.get(pointer);
  if (tokens === undefined) {
    tokens = Object.freeze(pointer === '' ? [] : pointer.slice(1).split('/').map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~')));
    if (parsedPointers.size >= MAX_PARSED_POINTERS) parsedPointers.clear();
    parsedPointers.set(pointer, tokens);
  }
  return tokens;
}

/**
 * Reads the value at an RFC 6901 JSON pointer (`/order/id`, `/lines/0/sku`); undefined when any
 * part is missing. Only own properties are followed, so `__proto__` never reaches a prototype.
 */
export function getByPointer(document: unknown, pointer: string): unknown {
  let current: unknown = document;
  for (const key of pointerTokens(pointer)) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
