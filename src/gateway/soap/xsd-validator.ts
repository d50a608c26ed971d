import { JunctionError } from '../../core/errors';
import { CompiledXsd, XmlNotAccepted, type SchemaDocument, type XmlViolation } from '../../validators/xsd/compiled-xsd';
import { NS } from './soap-namespaces';
import type { CompilableSchema } from './wsdl-service';
import { escapeAttribute } from './xml-dom';

export type { XmlViolation } from '../../validators/xsd/compiled-xsd';

const WRAPPER_URL = 'file:///junction/soap-gateway/all-schemas.xsd';

/** The body element of a SOAP 1.1 or 1.2 envelope. */
const BODY_ELEMENT = '/*/*[local-name()="Body"]/*[1]';

/** One schema that imports every namespace of the service, so one validator covers them all. */
function wrapperSchema(schemas: readonly CompilableSchema[], extra: SchemaDocument[]): string {
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
      extra.push({ url: location, text: `<xs:schema xmlns:xs="${NS.xsd}"${namespace ? ` targetNamespace="${escapeAttribute(namespace)}"` : ''}>${includes}</xs:schema>` });
    }
    references.push(namespace
      ? `<xs:import namespace="${escapeAttribute(namespace)}" schemaLocation="${escapeAttribute(location)}"/>`
      : `<xs:include schemaLocation="${escapeAttribute(location)}"/>`);
  }
  return `<xs:schema xmlns:xs="${NS.xsd}">${references.join('')}</xs:schema>`;
}

/**
 * Validates request bodies against a service's schemas with libxml2 (compiled once, at boot,
 * by the shared {@link CompiledXsd}). Call {@link close} to free the compiled schema (wasm memory).
 */
export class SchemaValidator {
  private constructor(private readonly xsd: CompiledXsd) {}

  /** Compiles the schemas (the in-memory copies loaded at boot; nothing is read from disk or the network). */
  static async compile(service: string, schemas: readonly CompilableSchema[]): Promise<SchemaValidator> {
    const extra: SchemaDocument[] = [];
    const wrapper = wrapperSchema(schemas, extra);
    const others = [...schemas.map(({ url, text }) => ({ url, text })), ...extra];
    return new SchemaValidator(await CompiledXsd.compile(`SOAP service "${service}": its schemas do not compile`, { url: WRAPPER_URL, text: wrapper }, others));
  }

  /**
   * Every violation of the body element of a SOAP envelope (the text as received, so lines
   * match the caller's). An empty list means valid. Throws JCT_REQUEST_MALFORMED when libxml2
   * cannot parse the text (for example nesting deeper than it allows).
   */
  validateBody(envelopeText: string): XmlViolation[] {
    try {
      return this.xsd.validate(envelopeText, { select: BODY_ELEMENT, omitAncestors: 2 });
    } catch (error) {
      if (!(error instanceof XmlNotAccepted)) throw error;
      throw new JunctionError('JCT_REQUEST_MALFORMED', `The request is not acceptable XML${error.line ? ` (line ${error.line}: ${error.message})` : ''}.`);
    }
  }

  /** Frees the compiled schema. Idempotent. */
  close(): void {
    this.xsd.close();
  }
}
