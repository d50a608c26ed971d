/**
 * Structural limits every XML text must respect before a parser sees it: how deep elements
 * nest, how many there are, how many attributes one element carries and how long a name is.
 * A linear scan of the text enforces them, so a hostile document (100,000-deep nesting,
 * millions of empty elements) is refused in bounded time and memory, before any DOM is built.
 */

/** The limits; every XML text Junction parses (gateways, transformers, validators, conditions) is held to them. */
export interface XmlLimits {
  /** Deepest element nesting (the root is depth 1). */
  readonly maxDepth: number;
  /** Most elements in one document. */
  readonly maxElements: number;
  /** Most attributes (namespace declarations included) on one element. */
  readonly maxAttributes: number;
  /** Longest element name, prefix included, in characters. */
  readonly maxNameLength: number;
}

/** The defaults: generous for business documents, far below what hurts a parser. */
export const DEFAULT_XML_LIMITS: XmlLimits = Object.freeze({
  maxDepth: 100,
  maxElements: 50_000,
  maxAttributes: 100,
  maxNameLength: 256,
});

let current: XmlLimits = DEFAULT_XML_LIMITS;

/**
 * Sets the limits for the whole process (app.ts does it once at boot from `security.xml`).
 * A process-wide policy on purpose: every parser must obey the same rules.
 */
export function configureXmlLimits(limits: Partial<XmlLimits>): void {
  current = Object.freeze({ ...DEFAULT_XML_LIMITS, ...limits });
}

/** The limits in force. */
export function xmlLimits(): XmlLimits {
  return current;
}

/** Why a text was refused without parsing it: a limit, or markup that is never allowed. */
export class XmlRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlRefusedError';
  }
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

function isNameEnd(code: number): boolean {
  return code === GT || code === SLASH || code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/**
 * Scans `text` once and throws {@link XmlRefusedError} when it breaks a limit or holds a markup
 * declaration (`<!DOCTYPE`, `<!ENTITY`, ... anywhere: no DTD, no entity, no external reference is
 * ever processed). Well-formedness is left to the parser: a text this scan cannot follow (an
 * unclosed tag) simply ends the scan.
 */
export function checkXmlLimits(text: string, limits: XmlLimits = current): void {
  let depth = 0;
  let elements = 0;
  let i = 0;
  const n = text.length;
  for (;;) {
    const lt = text.indexOf('<', i);
    if (lt < 0 || lt + 1 >= n) return;
    const next = text.charCodeAt(lt + 1);
    if (next === BANG) {
      if (text.startsWith('<!--', lt)) {
        const end = text.indexOf('-->', lt + 4);
        if (end < 0) return;
        i = end + 3;
        continue;
      }
      if (text.startsWith('<![CDATA[', lt)) {
        const end = text.indexOf(']]>', lt + 9);
        if (end < 0) return;
        i = end + 3;
        continue;
      }
      throw new XmlRefusedError('a DOCTYPE or other markup declaration is not allowed: no DTD or entity is processed');
    }
    if (next === QUESTION) {
      const end = text.indexOf('?>', lt + 2);
      if (end < 0) return;
      i = end + 2;
      continue;
    }
    if (next === SLASH) {
      depth -= 1;
      const end = text.indexOf('>', lt + 2);
      if (end < 0) return;
      i = end + 1;
      continue;
    }
    let j = lt + 1;
    while (j < n && !isNameEnd(text.charCodeAt(j))) j += 1;
    if (j - lt - 1 > limits.maxNameLength) {
      throw new XmlRefusedError(`an element name is longer than ${limits.maxNameLength} characters`);
    }
    let attributes = 0;
    let quote = 0;
    for (; j < n; j += 1) {
      const c = text.charCodeAt(j);
      if (quote !== 0) {
        if (c === quote) quote = 0;
      } else if (c === DQUOTE || c === SQUOTE) {
        quote = c;
      } else if (c === EQUALS) {
        attributes += 1;
      } else if (c === GT || c === LT) {
        break;
      }
    }
    if (j >= n || text.charCodeAt(j) !== GT) return;
    if (attributes > limits.maxAttributes) {
      throw new XmlRefusedError(`an element has more than ${limits.maxAttributes} attributes`);
    }
    elements += 1;
    if (elements > limits.maxElements) throw new XmlRefusedError(`the document has more than ${limits.maxElements} elements`);
    if (text.charCodeAt(j - 1) !== SLASH) {
      depth += 1;
      if (depth > limits.maxDepth) throw new XmlRefusedError(`elements are nested deeper than ${limits.maxDepth} levels`);
    }
    i = j + 1;
  }
}
