import { JunctionError, type Violation } from '../../core/errors';
import { NS } from './soap-namespaces';
import type { CompilableSchema } from './wsdl-service';
import { escapeAttribute } from './xml-dom';

/** libxml2-wasm is an ES module with top-level await: it is loaded with import(), once. */
type Libxml = typeof import('libxml2-wasm');
type LibxmlDocument = InstanceType<Libxml['XmlDocument']>;
type LibxmlValidator = InstanceType<Libxml['XsdValidator']>;
type ErrorDetail = import('libxml2-wasm').ErrorDetail;

/** A schema violation in a request: the element's path (local names), libxml2's finding reworded, and the line. */
export interface XmlViolation extends Violation {
  readonly line?: number;
}

/** At most this many violations are reported; the rest are counted in a last one. */
export const MAX_VIOLATIONS = 100;

interface Loaded {
  readonly lib: Libxml;
  readonly files: InstanceType<Libxml['XmlBufferInputProvider']>;
}

let loading: Promise<Loaded> | undefined;

/** Loads libxml2 and registers the one in-memory file provider schemas are compiled from. */
function loadLibxml(): Promise<Loaded> {
  loading ??= import('libxml2-wasm').then((lib) => {
    const files = new lib.XmlBufferInputProvider({});
    lib.xmlRegisterInputProvider(files);
    return { lib, files };
  });
  return loading;
}

const WRAPPER_URL = 'file:///junction/soap-gateway/all-schemas.xsd';

/** One schema that imports every namespace of the service, so one validator covers them all. */
function wrapperSchema(schemas: readonly CompilableSchema[], extra: Map<string, string>): string {
  const byNamespace = new Map<string, CompilableSchema[]>();
  for (const schema of schemas.filter((s) => !s.included)) {
    byNamespace.set(schema.targetNamespace, [...(byNamespace.get(schema.targetNamespace) ?? []), schema]);
  }
  const references: string[] = [];
  let n = 0;
  for (const [namespace, group] of byNamespace) {
    let location = group[0]!.url;
    if (group.length > 1) {
      // Several documents for one namespace: a per-namespace schema includes them all.
      n += 1;
      location = `file:///junction/soap-gateway/namespace-${n}.xsd`;
      const includes = group.map((s) => `<xs:include schemaLocation="${escapeAttribute(s.url)}"/>`).join('');
      extra.set(location, `<xs:schema xmlns:xs="${NS.xsd}"${namespace ? ` targetNamespace="${escapeAttribute(namespace)}"` : ''}>${includes}</xs:schema>`);
    }
    references.push(namespace
      ? `<xs:import namespace="${escapeAttribute(namespace)}" schemaLocation="${escapeAttribute(location)}"/>`
      : `<xs:include schemaLocation="${escapeAttribute(location)}"/>`);
  }
  return `<xs:schema xmlns:xs="${NS.xsd}">${references.join('')}</xs:schema>`;
}

const TYPE_HINTS: Readonly<Record<string, string>> = {
  decimal: 'a decimal number such as 250.00',
  int: 'a whole number', integer: 'a whole number', long: 'a whole number', short: 'a whole number',
  positiveInteger: 'a whole number above 0', nonNegativeInteger: 'a whole number of 0 or more',
  boolean: 'true or false',
  dateTime: 'a date and time such as 2026-11-05T10:15:00Z',
  date: 'a date such as 2026-11-05',
};

/** `{urn:a}name, {urn:a}other` → `'name', 'other'`. */
function names(list: string): string {
  return list.split(',').map((n) => `'${n.trim().replace(/^\{[^}]*\}/, '')}'`).join(' or ');
}

/** libxml2's message, said so that a person knows what to change. */
export function reword(message: string): string {
  let text = message.trim().replace(/^Element '[^']*'(?:, attribute '[^']*')?: /, '');
  const rules: [RegExp, (...m: string[]) => string][] = [
    [/^\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}\.$/s, (_, v, set) => `The value '${v}' is not allowed; use one of ${set}.`],
    [/^\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.*)'\.$/s, (_, v, p) => `The value '${v}' does not have the required form (pattern ${p}).`],
    [/^\[facet '(minLength|maxLength|length)'\] The value has a length of '(\d+)'; this \w+(?: from)? the allowed (?:\w+ )?length of '(\d+)'\.$/s,
      (_, facet, actual, limit) => `The value is ${actual} characters long; the ${facet === 'minLength' ? 'minimum' : facet === 'maxLength' ? 'maximum' : 'required'} length is ${limit}.`],
    [/^'(.*)' is not a valid value of the (?:local )?atomic type '(?:xs:)?(?:\{[^}]*\})?([^']*)'\.$/s,
      (_, v, type) => `The value '${v}' is not ${TYPE_HINTS[type] ?? `a valid ${type}`}.`],
    [/^This element is not expected\. Expected is (?:one of )?\( (.*) \)\.$/s, (_, list) => `This element is not expected here; expected ${names(list)}.`],
    [/^This element is not expected\.$/s, () => 'This element is not allowed here.'],
    [/^Missing child element\(s\)\. Expected is (?:one of )?\( (.*) \)\.$/s, (_, list) => `A required element is missing: ${names(list)}.`],
    [/^Character content other than whitespace is not allowed because the content type is 'element-only'\.$/s, () => 'Text is not allowed here; this element holds other elements only.'],
  ];
  for (const [pattern, say] of rules) {
    const match = pattern.exec(text);
    if (match) return say(...match);
  }
  text = text.replace(/\{[^}]*\}/g, '');
  return text.endsWith('.') ? text : `${text}.`;
}

/** `/s:Envelope/s:Body/c:Req/c:lines[2]/c:qty` → `/Req/lines[2]/qty` (below the Body, local names). */
function pathOf(detail: ErrorDetail, bodyLocal: string): string {
  if (!detail.xpath) return `/${bodyLocal}`;
  const steps = detail.xpath.split('/').slice(3).map((s) => s.replace(/^[^:[]*:/, ''));
  return steps.length > 0 ? `/${steps.join('/')}` : `/${bodyLocal}`;
}

/**
 * Validates request bodies against a service's schemas with libxml2 (compiled once, at boot).
 * Call {@link close} to free the compiled schema (wasm memory).
 */
export class SchemaValidator {
  private closed = false;

  private constructor(
    private readonly lib: Libxml,
    private readonly schemaDocument: LibxmlDocument,
    private readonly validator: LibxmlValidator,
  ) {}

  /** Compiles the schemas (the in-memory copies loaded at boot; nothing is read from disk or the network). */
  static async compile(service: string, schemas: readonly CompilableSchema[]): Promise<SchemaValidator> {
    const { lib, files } = await loadLibxml();
    const extra = new Map<string, string>();
    const wrapper = wrapperSchema(schemas, extra);
    const urls = [...schemas.map((s) => [s.url, s.text] as const), ...extra];
    for (const [url, text] of urls) files.addBuffer(url, Buffer.from(text, 'utf8'));
    let document: LibxmlDocument | undefined;
    try {
      document = lib.XmlDocument.fromString(wrapper, { url: WRAPPER_URL, option: lib.ParseOption.XML_PARSE_NONET });
      return new SchemaValidator(lib, document, lib.XsdValidator.fromDoc(document));
    } catch (error) {
      document?.dispose();
      const details = (error as { details?: ErrorDetail[] }).details ?? [];
      const found = details.filter((d) => d.level >= 2).map((d) => `${d.file ?? ''}${d.line ? `:${d.line}` : ''} ${d.message.trim()}`.trim());
      throw new JunctionError('JCT_CONFIG_REFERENCE', `SOAP service "${service}": its schemas do not compile: ${found.join('; ') || (error as Error).message}`, { cause: error });
    } finally {
      for (const [url] of urls) files.removeBuffer(url);
    }
  }

  /**
   * Every violation of the body element of a SOAP envelope (the text as received, so lines
   * match the caller's). An empty list means valid. Throws JCT_REQUEST_MALFORMED when libxml2
   * cannot parse the text (for example nesting deeper than it allows).
   */
  validateBody(envelopeText: string): XmlViolation[] {
    if (this.closed) throw new JunctionError('JCT_INTERNAL', 'The SOAP schema validator is closed.');
    const { lib } = this;
    let document: LibxmlDocument;
    try {
      document = lib.XmlDocument.fromString(envelopeText, {
        option: lib.ParseOption.XML_PARSE_NONET | lib.ParseOption.XML_PARSE_NO_XXE | lib.ParseOption.XML_PARSE_IGNORE_ENC,
      });
    } catch (error) {
      const first = (error as { details?: ErrorDetail[] }).details?.[0];
      throw new JunctionError('JCT_REQUEST_MALFORMED', `The request is not acceptable XML${first ? ` (line ${first.line}: ${first.message.trim()})` : ''}.`);
    }
    try {
      const body = document.get('/*/*[local-name()="Body"]/*[1]');
      if (!(body instanceof lib.XmlElement)) return [];
      try {
        this.validator.validate(body);
        return [];
      } catch (error) {
        if (!(error instanceof lib.XmlValidateError)) throw error;
        return this.toViolations(error.details, body.name);
      }
    } finally {
      document.dispose();
    }
  }

  private toViolations(details: readonly ErrorDetail[], bodyLocal: string): XmlViolation[] {
    const out: XmlViolation[] = [];
    for (const detail of details) {
      if (detail.level < 2) continue;
      const path = pathOf(detail, bodyLocal);
      const message = reword(detail.message);
      const previous = out[out.length - 1];
      // libxml2 may follow a facet failure with "not a valid value of the atomic type": say it once.
      if (previous?.path === path && /is not a valid value of the (local )?atomic type/.test(detail.message)) continue;
      out.push({ path, message, ...(detail.line > 0 ? { line: detail.line } : {}) });
    }
    if (out.length > MAX_VIOLATIONS) {
      const more = out.length - MAX_VIOLATIONS;
      return [...out.slice(0, MAX_VIOLATIONS), { path: '/', message: `${more} more problem${more === 1 ? '' : 's'} not listed.` }];
    }
    return out;
  }

  /** Frees the compiled schema. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.validator.dispose();
    this.schemaDocument.dispose();
  }
}
