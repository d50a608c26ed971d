import { XMLSerializer, type Element, type Node } from '@xmldom/xmldom';
import { NS } from './soap-namespaces';

export { escapeAttribute, escapeText, hasDoctype, parseXml, XmlSyntaxError } from '../../core/xml';

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/** The element children of `node`, in document order. */
export function childElements(node: Node): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) out.push(child as Element);
  }
  return out;
}

/** The concatenated text and CDATA children of `element` (not of its descendants). */
export function ownText(element: Element): string {
  let text = '';
  for (let child = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) text += child.nodeValue ?? '';
  }
  return text;
}

/** True when `element` is marked `xsi:nil="true"` (or `"1"`). */
export function isNil(element: Element): boolean {
  const nil = element.getAttributeNS(NS.xsi, 'nil')?.trim();
  return nil === 'true' || nil === '1';
}

/** True when `element` holds non-whitespace text directly. */
export function hasOwnText(element: Element): boolean {
  return ownText(element).trim() !== '';
}

/** The line of `node` in its source text, when the parser recorded it. */
export function lineOf(node: Node): number | undefined {
  const line = (node as { lineNumber?: number }).lineNumber;
  return typeof line === 'number' && line > 0 ? line : undefined;
}

/** `{namespace}local`, the one-string form of a qualified name. */
export function clark(namespace: string | null | undefined, local: string): string {
  return namespace ? `{${namespace}}${local}` : local;
}

/** Serialises a document or element. */
export function serializeXml(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}
