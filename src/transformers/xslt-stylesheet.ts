import path from 'node:path';
import type { Document, Element } from '@xmldom/xmldom';
import { domDocumentToXDocument, XPath, type XDocument } from 'xslt-processor';
import { JunctionError } from '../core/errors';
import { readReferencedFile } from './referenced-file';
import { parseXml, prologEnd, XMLNS_NAMESPACE, XmlSyntaxError } from './xml-document';

/** The XSLT namespace; instructions are recognised by it, whatever their prefix. */
export const XSLT_NAMESPACE = 'http://www.w3.org/1999/XSL/Transform';

/** Every element XSLT 1.0 defines; anything else in the XSLT namespace of a 1.0 stylesheet is a typo. */
const XSLT_1_ELEMENTS = new Set([
  'apply-imports', 'apply-templates', 'attribute', 'attribute-set', 'call-template', 'choose', 'comment', 'copy',
  'copy-of', 'decimal-format', 'element', 'fallback', 'for-each', 'if', 'import', 'include', 'key', 'message',
  'namespace-alias', 'number', 'otherwise', 'output', 'param', 'preserve-space', 'processing-instruction', 'sort',
  'strip-space', 'stylesheet', 'template', 'text', 'transform', 'value-of', 'variable', 'when', 'with-param',
]);

/** Attributes of XSLT elements that hold an XPath expression or pattern. */
const EXPRESSION_ATTRIBUTES = new Set(['select', 'test', 'match', 'use', 'count', 'from', 'value']);

/** Attributes of XSLT elements that are attribute value templates (`{…}` holds XPath). */
const TEMPLATE_ATTRIBUTES = new Set(['name', 'namespace', 'order', 'data-type', 'lang', 'case-order', 'format', 'letter-value', 'grouping-separator', 'grouping-size']);
const TEMPLATE_ELEMENTS = new Set(['element', 'attribute', 'processing-instruction', 'sort', 'number']);

/** A stylesheet checked and parsed at boot, ready for every message. */
export interface LoadedStylesheet {
  readonly file: string;
  /** The parsed stylesheet in xslt-processor's tree (read-only during transforms). */
  readonly document: XDocument;
  /** Text of every `xsl:include`/`xsl:import`, by href as written, read at boot. */
  readonly includes: ReadonlyMap<string, string>;
  /** Names of the top-level `xsl:param`s (of the stylesheet and what it includes). */
  readonly params: ReadonlySet<string>;
  /** Whether the output starts with an XML declaration (`xsl:output omit-xml-declaration`). */
  readonly declaration: boolean;
}

function elements(root: Element): Element[] {
  const out: Element[] = [];
  const visit = (element: Element): void => {
    out.push(element);
    for (let child = element.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === 1) visit(child as Element);
    }
  };
  visit(root);
  return out;
}

/** The XPath expressions inside an attribute value template (`{{`/`}}` are literal braces). */
export function templateExpressions(value: string): string[] | Error {
  const out: string[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value.charAt(i);
    if ((c === '{' || c === '}') && value.charAt(i + 1) === c) {
      i += 2;
    } else if (c === '}') {
      return new Error('"}" without "{"');
    } else if (c === '{') {
      let j = i + 1;
      let quote = '';
      while (j < value.length && (quote !== '' || value.charAt(j) !== '}')) {
        const d = value.charAt(j);
        if (quote === '' && (d === '"' || d === "'")) quote = d;
        else if (d === quote) quote = '';
        j += 1;
      }
      if (j >= value.length) return new Error('"{" without "}"');
      out.push(value.slice(i + 1, j));
      i = j + 1;
    } else {
      i += 1;
    }
  }
  return out;
}

/**
 * Loads and checks a stylesheet at boot: well-formed, an XSLT stylesheet, only XSLT 1.0
 * instructions (for version 1.0), every XPath expression and pattern parses, output method xml,
 * includes/imports readable. xslt-processor itself finds most of these only while transforming,
 * and reports a bad match pattern only as a warning. Throws JCT_CONFIG_REFERENCE naming the file
 * and line.
 */
export function loadStylesheet(file: string): LoadedStylesheet {
  const includes = new Map<string, string>();
  const params = new Set<string>();
  const xpath = new XPath();
  let declaration = true;

  const check = (document: Document, where: string): void => {
    function fail(line: number | undefined, what: string): never {
      throw new JunctionError('JCT_CONFIG_REFERENCE', `XSLT stylesheet ${where}${line ? `, line ${line}` : ''}: ${what}`);
    }
    const root = document.documentElement;
    if (!root || root.namespaceURI !== XSLT_NAMESPACE || !['stylesheet', 'transform'].includes(root.localName ?? '')) {
      fail(undefined, `the root element must be xsl:stylesheet or xsl:transform in the namespace ${XSLT_NAMESPACE}.`);
    }
    const version = root.getAttribute('version') ?? '';
    for (const element of elements(root)) {
      const line = (element as { lineNumber?: number }).lineNumber;
      const isXslt = element.namespaceURI === XSLT_NAMESPACE;
      const local = element.localName ?? '';
      if (isXslt && version === '1.0' && !XSLT_1_ELEMENTS.has(local)) fail(line, `<${element.nodeName}> is not an XSLT 1.0 instruction.`);
      for (let i = 0; i < element.attributes.length; i += 1) {
        const attribute = element.attributes.item(i);
        if (!attribute || attribute.namespaceURI === XMLNS_NAMESPACE || attribute.namespaceURI === XSLT_NAMESPACE) continue;
        const expressions = isXslt && EXPRESSION_ATTRIBUTES.has(attribute.name)
          ? [attribute.value]
          : !isXslt || (TEMPLATE_ELEMENTS.has(local) && TEMPLATE_ATTRIBUTES.has(attribute.name)) ? templateExpressions(attribute.value) : [];
        if (expressions instanceof Error) fail(line, `<${element.nodeName} ${attribute.name}="${attribute.value}">: ${expressions.message}.`);
        for (const expression of expressions) {
          try {
            xpath.xPathParse(expression);
          } catch (error) {
            fail(line, `<${element.nodeName} ${attribute.name}="${attribute.value}">: the XPath expression has a syntax error: ${(error as Error).message}`);
          }
        }
      }
      if (!isXslt) continue;
      if (local === 'output') {
        const method = element.getAttribute('method');
        if (method && method !== 'xml') fail(line, `<xsl:output method="${method}">: this step writes XML; use method="xml".`);
        if (element.getAttribute('omit-xml-declaration') === 'yes') declaration = false;
      }
      if (local === 'param' && element.parentNode === root) params.add(element.getAttribute('name') ?? '');
      if ((local === 'include' || local === 'import') && element.parentNode === root) {
        const href = element.getAttribute('href') ?? '';
        if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(href) || path.isAbsolute(href)) {
          fail(line, `<xsl:${local} href="${href}">: only relative paths (resolved against ${path.dirname(file)}) are allowed; nothing is fetched over the network.`);
        }
        if (!includes.has(href)) {
          includes.set(href, ''); // being loaded: an include cycle stops here
          const included = path.resolve(path.dirname(file), href);
          const text = readReferencedFile(included, `XSLT stylesheet ${where}, line ${line ?? '?'}: <xsl:${local}>`);
          check(parse(text, included), included);
          // xslt-processor takes the first node of an included file as its stylesheet element,
          // so a leading XML declaration or comment would make it include nothing.
          includes.set(href, text.slice(prologEnd(text)));
        }
      }
    }
  };

  const parse = (text: string, where: string): Document => {
    try {
      return parseXml(text);
    } catch (error) {
      const reason = error instanceof XmlSyntaxError ? error.describe() : String(error);
      throw new JunctionError('JCT_CONFIG_REFERENCE', `XSLT stylesheet ${where} is not well-formed XML (${reason}).`, { cause: error });
    }
  };

  const document = parse(readReferencedFile(file, 'XSLT stylesheet'), file);
  check(document, file);
  return { file, document: domDocumentToXDocument(document as never), includes, params, declaration };
}
