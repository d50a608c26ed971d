import { DOMParser, onErrorStopParsing, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';

/** Where an XML text failed to parse, and why (the parser's words, cleaned up). */
export class XmlSyntaxError extends Error {
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(message);
    this.name = 'XmlSyntaxError';
  }

  /** `line 3, column 7: …` or the bare message. */
  describe(): string {
    return this.line ? `line ${this.line}, column ${this.column ?? 0}: ${this.message}` : this.message;
  }
}

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

/**
 * True when the text declares a document type. Only the prolog (before the root element) may
 * hold one, so only the prolog is scanned; any DOCTYPE is refused before a parser sees it, so
 * no entity is ever declared, let alone expanded.
 */
export function hasDoctype(text: string): boolean {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && ' \t\r\n'.includes(text.charAt(i))) i += 1;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return false;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return false;
      i = end + 3;
    } else {
      return text.slice(i, i + 9).toUpperCase() === '<!DOCTYPE';
    }
  }
}

/**
 * Parses XML into a namespace-aware DOM; any error or fatal error stops the parse. Refuses a
 * DOCTYPE (see {@link hasDoctype}). Throws {@link XmlSyntaxError}.
 */
export function parseXml(text: string): Document {
  if (hasDoctype(text)) throw new XmlSyntaxError('a DOCTYPE is not allowed');
  try {
    return new DOMParser({ onError: onErrorStopParsing }).parseFromString(text, 'text/xml');
  } catch (error) {
    const { message, locator } = error as { message?: string; locator?: { lineNumber?: number; columnNumber?: number } };
    const clean = String(message ?? error)
      .replace(/^Reporting error "(.*)" caused onErrorStopParsing$/s, '$1')
      .replace(/^Error constructing the DOM: /, '')
      .split('\n')[0] ?? 'not well-formed';
    const line = locator?.lineNumber && locator.lineNumber > 0 ? locator.lineNumber : undefined;
    throw new XmlSyntaxError(clean, line, line ? locator?.columnNumber : undefined);
  }
}

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

/** Escapes text content. `\r` is written as a reference so it survives the receiver's line-end normalisation. */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Escapes an attribute value (double-quoted). */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\r\n\t]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' })[c] ?? c);
}

/** Serialises a document or element. */
export function serializeXml(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}
