export { hasDoctype, parseXml, prologEnd, XmlSyntaxError } from '../core/xml';

/** An NCName (a name without a colon): element local names and namespace prefixes. */
export const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/** A prefixed or unprefixed element or attribute name: `order`, `crm:order`. */
export const QNAME = /^([A-Za-z_][A-Za-z0-9._-]*:)?[A-Za-z_][A-Za-z0-9._-]*$/;

/** The namespace the `xml` prefix is always bound to (`xml:lang`, `xml:space`). */
export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

/** The namespace of `xmlns` and `xmlns:p` declarations. */
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';

/** JSON Schema of a `prefixes`/`namespaces` option: `{ prefix: namespace URI }`. */
export const PREFIX_MAP_SCHEMA = {
  type: 'object',
  propertyNames: { pattern: NCNAME.source, not: { enum: ['xml', 'xmlns'] } },
  additionalProperties: { type: 'string', minLength: 1 },
  default: {},
} as const;

/**
 * Inverts a `{ prefix: uri }` map into `uri → prefix`; throws (with a message for a boot error)
 * when two prefixes name the same URI, since a name read from XML could then get either.
 */
export function invertPrefixes(prefixes: Readonly<Record<string, string>>): Map<string, string> {
  const byUri = new Map<string, string>();
  for (const [prefix, uri] of Object.entries(prefixes)) {
    const other = byUri.get(uri);
    if (other !== undefined) throw new Error(`prefixes "${other}" and "${prefix}" both name the namespace ${uri}; keep one`);
    byUri.set(uri, prefix);
  }
  return byUri;
}
