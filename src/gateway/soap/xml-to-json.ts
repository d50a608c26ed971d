import type { Element } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';
import { childElements, clark, isNil, ownText } from './xml-dom';
import type { WhiteSpace, XsdComplexType, XsdElement, XsdSimpleType } from './xsd-model';

type Json = string | null | Json[] | { [key: string]: Json };

/** Applies the XSD whiteSpace rule: `string` keeps its text as written, `decimal` etc. are collapsed. */
export function normalizeWhiteSpace(text: string, rule: WhiteSpace): string {
  if (rule === 'preserve') return text;
  const replaced = text.replace(/[\t\n\r]/g, ' ');
  return rule === 'replace' ? replaced : replaced.replace(/ {2,}/g, ' ').trim();
}

function simpleValue(element: Element, type: XsdSimpleType): string {
  return normalizeWhiteSpace(ownText(element), type.whiteSpace);
}

function setOwn(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function complexValue(element: Element, type: XsdComplexType, path: string): Json {
  if (type.simpleContent) return simpleValue(element, type.simpleContent);
  const byKey = new Map(type.particles.map((p) => [p.key, p]));
  const out: { [key: string]: Json } = {};
  for (const child of childElements(element)) {
    const key = clark(child.namespaceURI, child.localName ?? '');
    const particle = byKey.get(key);
    const local = child.localName ?? '';
    if (!particle) {
      throw new JunctionError('JCT_VALIDATION_FAILED', `Element ${key} is not expected in ${path}.`, { violations: [{ path: `${path}/${local}`, message: 'This element is not allowed here.' }] });
    }
    const value = convert(child, particle, `${path}/${local}`);
    if (particle.maxOccurs > 1) {
      const list = Object.prototype.hasOwnProperty.call(out, local) ? out[local] as Json[] : [];
      list.push(value);
      setOwn(out, local, list);
    } else {
      setOwn(out, local, value);
    }
  }
  return out;
}

function convert(element: Element, declaration: XsdElement, path: string): Json {
  if (declaration.nillable && isNil(element)) return null;
  return declaration.type.kind === 'simple' ? simpleValue(element, declaration.type) : complexValue(element, declaration.type, path);
}

/**
 * The JSON text of a (validated) request element's content, guided by its declaration: every
 * leaf value is a string exactly as written (whitespace normalised as its XSD type says, so
 * "250.00" stays "250.00" and never passes through a number); an element that may repeat
 * (maxOccurs > 1) is always an array, even with one item; an absent optional element is absent;
 * a nil element is null. Keys are local names, in document order.
 */
export function elementToJson(element: Element, declaration: XsdElement): string {
  return JSON.stringify(convert(element, declaration, `/${element.localName ?? ''}`));
}
