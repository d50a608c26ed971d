/**
 * Reads the value at an RFC 6901 JSON pointer (`/order/id`, `/lines/0/sku`); undefined when any
 * part is missing. Only own properties are followed, so `__proto__` never reaches a prototype.
 */
export function getByPointer(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let current: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
