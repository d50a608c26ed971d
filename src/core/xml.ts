/**
 * Safe, strict XML parsing shared by the gateways, transformers, validators and routing
 * conditions: one place decides that no DOCTYPE is ever processed and how syntax errors read.
 */
import { DOMParser, type Document } from '@xmldom/xmldom';
import { checkXmlLimits, XmlRefusedError, type XmlLimits } from './xml-limits';

export { checkXmlLimits, configureXmlLimits, DEFAULT_XML_LIMITS, xmlLimits, XmlRefusedError, type XmlLimits } from './xml-limits';

/** Where an XML text failed to parse, and why (the parser's words, cleaned up). */
export class XmlSyntaxError extends Error {
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(message);
    this.name = 'XmlSyntaxError';
  }

  /** `line 3, column 7: …`, or the bare reason when the parser gave no position. */
  describe(): string {
    return this.line ? `line ${this.line}, column ${this.column ?? 0}: ${this.message}` : this.message;
  }
}

/** xmldom's words for common mistakes, put the way a sender of the message can act on. */
const PLAIN_REASONS: readonly [RegExp, string][] = [
  [/^missing root element/, 'no root element: the body is empty or not XML'],
  [/HierarchyRequestError: Only one element/, 'more than one root element'],
  [/NamespaceError: prefix is non-null and namespace is null/, 'a name uses a prefix that no xmlns declaration binds'],
];

/** xmldom reports U+FFFD as a warning; it is a legal character, so it must not stop the parse. */
const HARMLESS_WARNING = /^Unicode replacement character/;

/**
 * True when the text declares a document type. Only the prolog (before the root element) may
 * hold one, so only the prolog is scanned, before any parser sees the text: no entity is ever
 * declared, let alone expanded.
 */
export function hasDoctype(text: string): boolean {
  const start = prologEnd(text);
  return text.slice(start, start + 9).toUpperCase() === '<!DOCTYPE';
}

/**
 * Where the prolog ends: the offset after the XML declaration, comments, processing
 * instructions and whitespace that precede the DOCTYPE or root element.
 */
export function prologEnd(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    while (i < text.length && ' \t\r\n'.includes(text.charAt(i))) i += 1;
    if (!text.startsWith('<?', i) && !text.startsWith('<!--', i)) return i;
    const close = text.startsWith('<?', i) ? '?>' : '-->';
    const end = text.indexOf(close, i + 2);
    if (end < 0) return i;
    i = end + close.length;
  }
}

/**
 * Checks a text against the process's XML limits (depth, element count, attributes, name length)
 * and refuses any DOCTYPE or markup declaration, without parsing it. Throws {@link XmlSyntaxError}.
 */
export function checkXmlText(text: string, limits?: XmlLimits): void {
  if (hasDoctype(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text)) {
    throw new XmlSyntaxError('a DOCTYPE is not allowed: no DTD or entity is processed');
  }
  try {
    checkXmlLimits(text, limits);
  } catch (error) {
    if (error instanceof XmlRefusedError) throw new XmlSyntaxError(error.message);
    throw error;
  }
}

/**
 * Parses XML into a namespace-aware DOM (xmldom). Strict: every error, fatal error and warning
 * (bar U+FFFD) stops the parse; a DOCTYPE is refused; a leading byte-order mark is ignored; the
 * process's XML limits (core/xml-limits.ts) are checked before the parser sees the text.
 * Throws {@link XmlSyntaxError} with the line and column the parser reached.
 */
export function parseXml(text: string): Document {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  checkXmlText(source);
  let reason: string | undefined;
  const onError = (level: string, message: string): void => {
    if (level === 'warning' && HARMLESS_WARNING.test(message)) return;
    reason ??= message;
    throw new Error(message);
  };
  try {
    return new DOMParser({ onError }).parseFromString(source, 'application/xml');
  } catch (error) {
    const { locator } = error as { locator?: { lineNumber?: number; columnNumber?: number } };
    const raw = (reason ?? (error as Error).message ?? 'not well-formed').replace(/^Error constructing the DOM: /, '').replace(/!+$/, '');
    const clean = PLAIN_REASONS.find(([pattern]) => pattern.test(raw))?.[1] ?? raw.split('\n')[0] ?? 'not well-formed';
    const line = locator?.lineNumber && locator.lineNumber > 0 ? locator.lineNumber : undefined;
    throw new XmlSyntaxError(clean, line, line ? locator?.columnNumber : undefined);
  }
}

/** Escapes text content. `\r` is written as a reference so it survives the receiver's line-end normalisation. */
export function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Escapes an attribute value (double-quoted). */
export function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\r\n\t]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' })[c] ?? c);
}
