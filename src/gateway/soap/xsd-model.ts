import type { Element } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';
import { NS } from './soap-namespaces';
import { childElements, clark, lineOf } from './xml-dom';

/** A namespace-qualified name; `namespace` is '' for none. */
export interface QName {
  readonly namespace: string;
  readonly local: string;
}

/** How a simple value's whitespace is normalised before use (the XSD whiteSpace facet). */
export type WhiteSpace = 'preserve' | 'replace' | 'collapse';

/** A simple type, known by the built-in it derives from (`decimal`, `string`, `dateTime`, ...). */
export interface XsdSimpleType {
  readonly kind: 'simple';
  readonly builtin: string;
  readonly whiteSpace: WhiteSpace;
}

/** A complex type: its child elements in sequence order, or a simple content. Attributes are not modelled. */
export interface XsdComplexType {
  readonly kind: 'complex';
  /** For messages: the type's name, or the element it is declared in. */
  readonly label: string;
  readonly particles: readonly XsdParticle[];
  readonly simpleContent?: XsdSimpleType;
}

/** The type of an element: simple (text) or complex (children). */
export type XsdType = XsdSimpleType | XsdComplexType;

/** An element declaration: global, or a child of a complex type. */
export interface XsdElement {
  readonly name: QName;
  /** `{namespace}local`, the key instances are matched by. */
  readonly key: string;
  readonly type: XsdType;
  readonly nillable: boolean;
}

/** A child element of a complex type. `maxOccurs` is Infinity for unbounded (or inside a repeated group). */
export interface XsdParticle extends XsdElement {
  readonly minOccurs: number;
  readonly maxOccurs: number;
}

/** One `xs:schema` element and the file it came from (for messages). */
export interface SchemaSource {
  readonly schema: Element;
  readonly file: string;
  /** The target namespace of the schema that includes this one (chameleon include). */
  readonly includedInto?: string;
}

/** The global elements of a set of schemas, with their types resolved. */
export class XsdModel {
  constructor(private readonly elements: ReadonlyMap<string, XsdElement>) {}

  /** The global element `name`, if a schema declares it. */
  element(name: QName): XsdElement | undefined {
    return this.elements.get(clark(name.namespace, name.local));
  }
}

interface SchemaContext {
  readonly tns: string;
  readonly qualified: boolean;
  readonly file: string;
}

interface Declared {
  readonly element: Element;
  readonly context: SchemaContext;
}

interface MutableComplex {
  kind: 'complex';
  label: string;
  particles: XsdParticle[];
  simpleContent?: XsdSimpleType;
}

function builtinWhiteSpace(builtin: string): WhiteSpace {
  if (builtin === 'string' || builtin === 'anySimpleType') return 'preserve';
  if (builtin === 'normalizedString') return 'replace';
  return 'collapse';
}

function occurs(value: string | null, fallback: number): number {
  if (value === null || value === '') return fallback;
  if (value === 'unbounded') return Infinity;
  return Number.parseInt(value, 10);
}

function isXsd(element: Element, local: string): boolean {
  return element.namespaceURI === NS.xsd && element.localName === local;
}

/**
 * Builds the model from every schema of a service: global elements, named and anonymous complex
 * types (sequence / choice / all, extension of a named type, simple content), simple types with
 * the built-in they derive from. Throws JCT_CONFIG_REFERENCE naming file and line for a type
 * that does not exist or a construct outside this subset (xs:any, xs:group); `owner` starts
 * each message (e.g. `SOAP service "crm"`).
 */
export function buildXsdModel(sources: readonly SchemaSource[], owner: string): XsdModel {
  const rawElements = new Map<string, Declared>();
  const rawSimple = new Map<string, Declared>();
  const complexByName = new Map<string, MutableComplex>();
  const fillQueue: { type: MutableComplex; element: Element; context: SchemaContext }[] = [];
  const filled = new Map<MutableComplex, 'filling' | 'filled'>();
  const simpleMemo = new Map<string, XsdSimpleType>();
  const elementMemo = new Map<string, XsdElement>();

  const fail = (context: SchemaContext, at: Element, message: string): never => {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `${owner}: ${context.file}:${lineOf(at) ?? '?'}: ${message}.`);
  };

  const resolveQName = (at: Element, value: string, context: SchemaContext): QName => {
    const colon = value.indexOf(':');
    const prefix = colon < 0 ? null : value.slice(0, colon);
    const namespace = at.lookupNamespaceURI(prefix);
    if (prefix !== null && !namespace) fail(context, at, `the prefix "${prefix}" of "${value}" is not declared`);
    return { namespace: namespace ?? '', local: colon < 0 ? value : value.slice(colon + 1) };
  };

  // Pass 1: register every named component.
  for (const source of sources) {
    const context: SchemaContext = {
      tns: source.schema.getAttribute('targetNamespace') ?? source.includedInto ?? '',
      qualified: source.schema.getAttribute('elementFormDefault') === 'qualified',
      file: source.file,
    };
    for (const child of childElements(source.schema)) {
      const name = child.getAttribute('name');
      if (child.namespaceURI !== NS.xsd || !name) continue;
      const key = clark(context.tns, name);
      if (child.localName === 'element') rawElements.set(key, { element: child, context });
      else if (child.localName === 'simpleType') rawSimple.set(key, { element: child, context });
      else if (child.localName === 'complexType') {
        const type: MutableComplex = { kind: 'complex', label: name, particles: [] };
        complexByName.set(key, type);
        fillQueue.push({ type, element: child, context });
      }
    }
  }

  const simpleFromElement = (element: Element, context: SchemaContext, seen: Set<string>): XsdSimpleType => {
    const content = childElements(element).find((c) => c.namespaceURI === NS.xsd && c.localName !== 'annotation');
    if (!content) return fail(context, element, 'a simpleType needs a restriction, list or union');
    if (content.localName === 'list' || content.localName === 'union') {
      return { kind: 'simple', builtin: content.localName, whiteSpace: 'collapse' };
    }
    if (content.localName !== 'restriction') return fail(context, content, `xs:${content.localName} is not supported here`);
    const baseName = content.getAttribute('base');
    const inline = childElements(content).find((c) => isXsd(c, 'simpleType'));
    let base: XsdSimpleType;
    if (baseName) base = simpleByName(resolveQName(content, baseName, context), content, context, seen);
    else if (inline) base = simpleFromElement(inline, context, seen);
    else return fail(context, content, 'a restriction needs a base type');
    const facet = childElements(content).find((c) => isXsd(c, 'whiteSpace'))?.getAttribute('value');
    const whiteSpace = facet === 'preserve' || facet === 'replace' || facet === 'collapse' ? facet : base.whiteSpace;
    return { kind: 'simple', builtin: base.builtin, whiteSpace };
  };

  const simpleByName = (name: QName, at: Element, context: SchemaContext, seen = new Set<string>()): XsdSimpleType => {
    if (name.namespace === NS.xsd) {
      if (name.local === 'anyType') fail(context, at, 'xs:anyType is not supported; give the element a concrete type');
      return { kind: 'simple', builtin: name.local, whiteSpace: builtinWhiteSpace(name.local) };
    }
    const key = clark(name.namespace, name.local);
    const memo = simpleMemo.get(key);
    if (memo) return memo;
    const raw = rawSimple.get(key);
    if (!raw) return fail(context, at, `no schema declares the simple type ${key}`);
    if (seen.has(key)) return fail(raw.context, raw.element, `the simple type ${key} derives from itself`);
    seen.add(key);
    const type = simpleFromElement(raw.element, raw.context, seen);
    simpleMemo.set(key, type);
    return type;
  };

  const typeByName = (name: QName, at: Element, context: SchemaContext): XsdType =>
    complexByName.get(clark(name.namespace, name.local)) ?? simpleByName(name, at, context);

  const ensureFilled = (type: MutableComplex, element: Element, context: SchemaContext): void => {
    const state = filled.get(type);
    if (state === 'filled') return;
    if (state === 'filling') fail(context, element, `the type ${type.label} extends itself`);
    filled.set(type, 'filling');
    fillComplex(type, element, context);
    filled.set(type, 'filled');
  };

  const declaredComplex = (type: MutableComplex): { element: Element; context: SchemaContext } | undefined =>
    fillQueue.find((entry) => entry.type === type);

  const elementType = (element: Element, context: SchemaContext, label: string): XsdType => {
    const typeName = element.getAttribute('type');
    if (typeName) return typeByName(resolveQName(element, typeName, context), element, context);
    for (const child of childElements(element)) {
      if (isXsd(child, 'simpleType')) return simpleFromElement(child, context, new Set());
      if (isXsd(child, 'complexType')) {
        const type: MutableComplex = { kind: 'complex', label, particles: [] };
        fillQueue.push({ type, element: child, context });
        return type;
      }
    }
    return fail(context, element, `the element "${label}" has no type; xs:anyType is not supported`);
  };

  const globalElement = (name: QName, at: Element, context: SchemaContext): XsdElement => {
    const key = clark(name.namespace, name.local);
    const memo = elementMemo.get(key);
    if (memo) return memo;
    const raw = rawElements.get(key);
    if (!raw) return fail(context, at, `no schema declares the element ${key}`);
    const declared: XsdElement = {
      name,
      key,
      type: elementType(raw.element, raw.context, name.local),
      nillable: raw.element.getAttribute('nillable') === 'true',
    };
    elementMemo.set(key, declared);
    return declared;
  };

  const addParticle = (out: XsdParticle[], particle: XsdParticle): void => {
    const index = out.findIndex((p) => p.key === particle.key);
    if (index < 0) out.push(particle);
    else out[index] = { ...out[index]!, minOccurs: 0, maxOccurs: Infinity }; // the same name twice: a list
  };

  const collectGroup = (group: Element, context: SchemaContext, label: string, optional: boolean, repeated: boolean, out: XsdParticle[]): void => {
    const groupOptional = optional || occurs(group.getAttribute('minOccurs'), 1) === 0;
    const groupRepeated = repeated || occurs(group.getAttribute('maxOccurs'), 1) > 1;
    const childOptional = groupOptional || group.localName === 'choice';
    for (const child of childElements(group)) {
      if (child.namespaceURI !== NS.xsd || child.localName === 'annotation') continue;
      if (child.localName === 'sequence' || child.localName === 'choice' || child.localName === 'all') {
        collectGroup(child, context, label, childOptional, groupRepeated, out);
      } else if (child.localName === 'element') {
        const ref = child.getAttribute('ref');
        const base: XsdElement = ref
          ? globalElement(resolveQName(child, ref, context), child, context)
          : (() => {
            const local = child.getAttribute('name') ?? fail(context, child, 'a local element needs a name or a ref');
            const form = child.getAttribute('form');
            const namespace = (form ? form === 'qualified' : context.qualified) ? context.tns : '';
            return {
              name: { namespace, local },
              key: clark(namespace, local),
              type: elementType(child, context, `${label}/${local}`),
              nillable: child.getAttribute('nillable') === 'true',
            };
          })();
        const minOccurs = childOptional ? 0 : occurs(child.getAttribute('minOccurs'), 1);
        const maxOccurs = groupRepeated ? Infinity : occurs(child.getAttribute('maxOccurs'), 1);
        addParticle(out, { ...base, minOccurs, maxOccurs });
      } else {
        fail(context, child, `xs:${child.localName} is not supported in ${label}; declare the elements explicitly`);
      }
    }
  };

  function fillComplex(type: MutableComplex, element: Element, context: SchemaContext): void {
    for (const child of childElements(element)) {
      if (child.namespaceURI !== NS.xsd) continue;
      switch (child.localName) {
        case 'sequence':
        case 'choice':
        case 'all':
          collectGroup(child, context, type.label, false, false, type.particles);
          break;
        case 'simpleContent': {
          const derivation = childElements(child).find((c) => isXsd(c, 'extension') || isXsd(c, 'restriction'));
          const baseName = derivation?.getAttribute('base');
          if (!derivation || !baseName) return fail(context, child, 'simpleContent needs an extension or restriction with a base');
          const base = typeByName(resolveQName(derivation, baseName, context), derivation, context);
          if (base.kind === 'simple') type.simpleContent = base;
          else {
            const origin = declaredComplex(base as MutableComplex);
            if (origin) ensureFilled(base as MutableComplex, origin.element, origin.context);
            if (!base.simpleContent) return fail(context, derivation, `${base.label} has no simple content to derive from`);
            type.simpleContent = base.simpleContent;
          }
          break;
        }
        case 'complexContent': {
          const derivation = childElements(child).find((c) => isXsd(c, 'extension') || isXsd(c, 'restriction'));
          const baseName = derivation?.getAttribute('base');
          if (!derivation || !baseName) return fail(context, child, 'complexContent needs an extension or restriction with a base');
          const baseQName = resolveQName(derivation, baseName, context);
          if (derivation.localName === 'extension' && !(baseQName.namespace === NS.xsd && baseQName.local === 'anyType')) {
            const base = complexByName.get(clark(baseQName.namespace, baseQName.local));
            if (!base) return fail(context, derivation, `no schema declares the complex type ${clark(baseQName.namespace, baseQName.local)}`);
            const origin = declaredComplex(base);
            if (origin) ensureFilled(base, origin.element, origin.context);
            for (const particle of base.particles) addParticle(type.particles, particle);
          }
          for (const group of childElements(derivation)) {
            if (isXsd(group, 'sequence') || isXsd(group, 'choice') || isXsd(group, 'all')) {
              collectGroup(group, context, type.label, false, false, type.particles);
            }
          }
          break;
        }
        case 'group':
        case 'any':
          return fail(context, child, `xs:${child.localName} is not supported in ${type.label}; declare the elements explicitly`);
        default:
          break; // annotation, attributes: not part of the element model
      }
    }
  }

  // Pass 2: resolve every global element, then fill every complex type (the queue grows as anonymous types appear).
  for (const [key, raw] of rawElements) {
    const local = raw.element.getAttribute('name') ?? '';
    globalElement({ namespace: key.startsWith('{') ? key.slice(1, key.indexOf('}')) : '', local }, raw.element, raw.context);
  }
  for (let i = 0; i < fillQueue.length; i += 1) {
    const entry = fillQueue[i]!;
    ensureFilled(entry.type, entry.element, entry.context);
  }
  return new XsdModel(elementMemo);
}
