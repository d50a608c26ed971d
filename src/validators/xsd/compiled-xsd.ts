import { fileURLToPath } from 'node:url';
import { JunctionError, type Violation } from '../../core/errors';
import { readablePath } from './element-path';
import { loadLibxml, type ErrorDetail, type Libxml, type LibxmlDocument, type LibxmlElement, type LibxmlValidator } from './libxml';
import { checkXmlLimits, hasDoctype, XmlRefusedError } from './xml-prolog';
import { reword } from './xsd-messages';

/** A schema violation: the element's path (local names), libxml2's finding reworded, and the line. */
export interface XmlViolation extends Violation {
  readonly line?: number;
}

/** At most this many violations are reported; the rest are counted in a last one. */
export const MAX_VIOLATIONS = 100;

/** One schema document, by the URL its xs:import / xs:include references resolve to. */
export interface SchemaDocument {
  readonly url: string;
  readonly text: string;
}

/** Why a text could not be validated: it is not well-formed XML, or it declares a DOCTYPE. */
export class XmlNotAccepted extends Error {
  constructor(readonly reason: 'malformed' | 'doctype', message: string, readonly line?: number, readonly column?: number) {
    super(message);
    this.name = 'XmlNotAccepted';
  }
}

/** What to validate in a document, and how to name places in it. */
export interface XsdValidateOptions {
  /** XPath of the element to validate; default the root element. Nothing matched: no violations. */
  readonly select?: string;
  /** Ancestor elements left out of violation paths (2 below a SOAP Body: Envelope, Body). Default 0. */
  readonly omitAncestors?: number;
  /**
   * The validated element must have this name; otherwise the one violation says so and nothing
   * else is checked (its other findings would only be noise).
   */
  readonly expectElement?: { readonly namespace: string; readonly local: string };
}

const parseOptions = (lib: Libxml): number =>
  lib.ParseOption.XML_PARSE_NONET | lib.ParseOption.XML_PARSE_NO_XXE | lib.ParseOption.XML_PARSE_IGNORE_ENC;

/** `file:///a/b.xsd` → `/a/b.xsd`; other URLs as they are. */
function displayFile(file: string | undefined): string {
  if (!file) return '';
  try {
    return file.startsWith('file:') ? fileURLToPath(file) : file;
  } catch {
    return file;
  }
}

/** `{urn:a}local` for messages; `local` without a namespace. */
function clark(namespace: string, local: string): string {
  return namespace ? `{${namespace}}${local}` : local;
}

/**
 * A set of XSD documents compiled once (at boot) with libxml2, validating XML texts against
 * it: every violation, reworded for people, with element paths and lines. Holds wasm memory:
 * call {@link close} when done.
 */
export class CompiledXsd {
  private closed = false;

  private constructor(
    private readonly lib: Libxml,
    private readonly schemaDocument: LibxmlDocument,
    private readonly validator: LibxmlValidator,
  ) {}

  /**
   * Compiles `root` with the documents it imports or includes (in memory: libxml2 reads nothing
   * from disk or the network). Throws JCT_CONFIG_REFERENCE `<what>: <libxml2's findings>` when
   * the schemas do not compile.
   */
  static async compile(what: string, root: SchemaDocument, others: readonly SchemaDocument[]): Promise<CompiledXsd> {
    const { lib, files } = await loadLibxml();
    // Added, compiled and removed synchronously: no other compile can interleave.
    for (const { url, text } of others) files.addBuffer(url, Buffer.from(text, 'utf8'));
    let document: LibxmlDocument | undefined;
    try {
      document = lib.XmlDocument.fromString(root.text, { url: root.url, option: lib.ParseOption.XML_PARSE_NONET | lib.ParseOption.XML_PARSE_NO_XXE });
      return new CompiledXsd(lib, document, lib.XsdValidator.fromDoc(document));
    } catch (error) {
      document?.dispose();
      const details = (error as { details?: ErrorDetail[] }).details ?? [];
      const found = details.filter((d) => d.level >= 2).map((d) => `${displayFile(d.file)}${d.line ? `:${d.line}` : ''} ${d.message.trim()}`.trim());
      throw new JunctionError('JCT_CONFIG_REFERENCE', `${what}: ${found.join('; ') || (error as Error).message}`, { cause: error });
    } finally {
      for (const { url } of others) files.removeBuffer(url);
    }
  }

  /**
   * Every violation of the selected element of `text` (as received, so lines match the
   * sender's); an empty list means valid. Throws {@link XmlNotAccepted} when the text has a
   * DOCTYPE or libxml2 cannot parse it (including nesting deeper than it allows).
   */
  validate(text: string, options: XsdValidateOptions = {}): XmlViolation[] {
    if (this.closed) throw new JunctionError('JCT_INTERNAL', 'The XSD validator is closed.');
    if (hasDoctype(text)) throw new XmlNotAccepted('doctype', 'it has a DOCTYPE (document type declarations and entities are refused)');
    if (text.trim() === '') throw new XmlNotAccepted('malformed', 'the document is empty');
    try {
      checkXmlLimits(text);
    } catch (error) {
      if (error instanceof XmlRefusedError) throw new XmlNotAccepted('malformed', error.message);
      throw error;
    }
    const { lib } = this;
    let document: LibxmlDocument;
    try {
      document = lib.XmlDocument.fromString(text, { option: parseOptions(lib) });
    } catch (error) {
      const first = (error as { details?: ErrorDetail[] }).details?.[0];
      const reason = (first?.message.trim() || 'not well-formed').replace(/^Excessive depth in document: (\d+), use XML_PARSE_HUGE option$/, 'elements are nested more than $1 levels deep');
      throw new XmlNotAccepted('malformed', reason, first?.line || undefined, first?.col || undefined);
    }
    try {
      const element = options.select ? document.get(options.select) : document.root;
      if (!(element instanceof lib.XmlElement)) return [];
      const expected = options.expectElement;
      if (expected && (element.name !== expected.local || element.namespaceUri !== expected.namespace)) {
        return [{
          path: `/${element.name}`,
          message: `The root element is ${clark(element.namespaceUri, element.name)}; expected ${clark(expected.namespace, expected.local)}.`,
          line: element.line,
        }];
      }
      try {
        this.validator.validate(element);
        return [];
      } catch (error) {
        if (!(error instanceof lib.XmlValidateError)) throw error;
        return toViolations(lib, document, error.details, element, options.omitAncestors ?? 0);
      }
    } finally {
      document.dispose();
    }
  }

  /** Frees the compiled schema. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.validator.dispose();
    this.schemaDocument.dispose();
  }
}

/** `Element 'r', attribute 'k': …` → `k` (the attribute a finding is about), or undefined. */
function attributeOf(message: string): string | undefined {
  return /^Element '[^']*', attribute '([^']*)'/.exec(message)?.[1]?.replace(/^\{[^}]*\}/, '');
}

/**
 * libxml2's findings as violations: reworded, each at its element's readable path (and
 * `/@attribute` when it is about one) and line; at most {@link MAX_VIOLATIONS}, then a count.
 */
function toViolations(lib: Libxml, document: LibxmlDocument, details: readonly ErrorDetail[], element: LibxmlElement, omitAncestors: number): XmlViolation[] {
  const kept: ErrorDetail[] = [];
  for (const detail of details) {
    if (detail.level < 2) continue;
    const previous = kept[kept.length - 1];
    // libxml2 may follow a facet failure with "not a valid value of the atomic type": say it once.
    if (previous && previous.xpath === detail.xpath && attributeOf(previous.message) === attributeOf(detail.message)
      && /is not a valid value of the (local )?atomic type/.test(detail.message)) continue;
    kept.push(detail);
  }
  const fallback = `/${element.name}`;
  const out: XmlViolation[] = kept.slice(0, MAX_VIOLATIONS).map((detail) => {
    const at = (detail.xpath && readablePath(lib, document, detail.xpath, omitAncestors)) || fallback;
    const attribute = attributeOf(detail.message);
    return { path: attribute ? `${at}/@${attribute}` : at, message: reword(detail.message), ...(detail.line > 0 ? { line: detail.line } : {}) };
  });
  const more = kept.length - out.length;
  if (more > 0) out.push({ path: '/', message: `${more} more problem${more === 1 ? '' : 's'} not listed.` });
  return out;
}
