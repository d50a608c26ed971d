import { isLosslessNumber } from 'lossless-json';
import { JunctionError } from '../../core/errors';
import { parseExactJson } from '../../core/exact-json';
import { escapeAttribute, escapeText } from './xml-dom';
import type { QName, XsdElement, XsdType } from './xsd-model';

/** Assigns prefixes to the namespaces an element uses: the preferred ones first, then `ns1`, `ns2`, ... */
class Prefixes {
  readonly used = new Map<string, string>();

  constructor(private readonly preferred: ReadonlyMap<string, string>) {}

  of(name: QName): string {
    if (!name.namespace) return name.local;
    let prefix = this.used.get(name.namespace);
    if (prefix === undefined) {
      const taken = new Set(this.used.values());
      const wanted = this.preferred.get(name.namespace);
      prefix = wanted && !taken.has(wanted) && !['soap', 'env', 'xml', 'xmlns'].includes(wanted) ? wanted : '';
      for (let n = 1; !prefix || taken.has(prefix); n += 1) prefix = `ns${n}`;
      this.used.set(name.namespace, prefix);
    }
    return `${prefix}:${name.local}`;
  }

  declarations(): string {
    return [...this.used].map(([uri, prefix]) => ` xmlns:${prefix}="${escapeAttribute(uri)}"`).join('');
  }
}

function fail(path: string, problem: string): never {
  throw new JunctionError('JCT_TRANSFORM_FAILED', `The reply cannot be written as the operation's response: ${path || '/'} ${problem}.`);
}

function scalar(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'boolean') return String(value);
  return fail(path, 'must be a string, a number or a boolean');
}

function write(name: QName, type: XsdType, value: unknown, path: string, prefixes: Prefixes): string {
  const tag = prefixes.of(name);
  if (type.kind === 'simple' || type.simpleContent) {
    return `<${tag}>${escapeText(scalar(value, path))}</${tag}>`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isLosslessNumber(value)) {
    return fail(path, 'must be an object');
  }
  const record = value as Record<string, unknown>;
  const known = new Set(type.particles.map((p) => p.name.local));
  const unknown = Object.keys(record).filter((k) => !known.has(k));
  if (unknown.length > 0) fail(path, `has field(s) ${unknown.join(', ')} that ${type.label} does not declare (it has ${[...known].join(', ') || 'none'})`);
  let content = '';
  for (const particle of type.particles) {
    const field = particle.name.local;
    const raw = Object.prototype.hasOwnProperty.call(record, field) ? record[field] : undefined;
    const items = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
    if (Array.isArray(raw) && particle.maxOccurs <= 1) fail(`${path}/${field}`, 'takes one value, not a list');
    if (items.length < particle.minOccurs) fail(`${path}/${field}`, items.length === 0 ? 'is required' : `needs at least ${particle.minOccurs} items`);
    if (items.length > particle.maxOccurs) fail(`${path}/${field}`, `takes at most ${particle.maxOccurs} items`);
    items.forEach((item, i) => {
      content += write(particle.name, particle.type, item, Array.isArray(raw) ? `${path}/${field}/${i}` : `${path}/${field}`, prefixes);
    });
  }
  return `<${tag}>${content}</${tag}>`;
}

/**
 * Writes a response element from the JSON text of its content, guided by its declaration:
 * children in the schema's sequence order and namespace, lists as repeated elements, null or
 * absent optional fields left out. Numbers keep their exact text (parsed with lossless-json);
 * strings and booleans are written as they are; dateTime strings pass through. The namespaces
 * used are declared on the element, with the WSDL's prefixes where it has them. Throws
 * JCT_TRANSFORM_FAILED naming the JSON pointer of the first problem.
 */
export function jsonToElement(json: string, declaration: XsdElement, preferredPrefixes: ReadonlyMap<string, string>): string {
  let value: unknown;
  try {
    value = parseExactJson(json);
  } catch (error) {
    throw new JunctionError('JCT_TRANSFORM_FAILED', `The reply is not valid JSON (${(error as Error).message}).`, { cause: error });
  }
  const prefixes = new Prefixes(preferredPrefixes);
  const xml = write(declaration.name, declaration.type, value, '', prefixes);
  const open = `<${prefixes.of(declaration.name)}`;
  return `${open}${prefixes.declarations()}${xml.slice(open.length)}`;
}
