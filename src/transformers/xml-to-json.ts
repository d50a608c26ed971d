import type { Attr, Element, Node } from '@xmldom/xmldom';
import { withChanges, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import type { Step, StepContext, StepFactory } from '../core/step';
import { invertPrefixes, parseXml, PREFIX_MAP_SCHEMA, XML_NAMESPACE, XMLNS_NAMESPACE, XmlSyntaxError } from './xml-document';

/** What to do with an element or attribute whose namespace is not under `namespaces`. */
export type UnknownNamespacePolicy = 'document-prefix' | 'fail';

/** Options of an `xml-to-json` step (defaults filled in by the options schema). */
export interface XmlToJsonOptions {
  /** `{ prefix: uri }`: names in `uri` become `prefix:local` whatever prefix the document used. */
  readonly namespaces: Readonly<Record<string, string>>;
  /** Elements in this namespace get unprefixed names (typically the document's default namespace). */
  readonly namespace?: string;
  /** Names in other namespaces: keep the document's prefix (default) or fail the message. */
  readonly unknownNamespaces: UnknownNamespacePolicy;
  /** JSON pointers (no indexes) of values that are always arrays, e.g. `/order/line`. */
  readonly arrays: readonly string[];
  /** Keep the root element as the single top-level key (default true). */
  readonly root: boolean;
}

type Json = string | Json[] | { [key: string]: Json };

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;
const CDATA_SECTION_NODE = 4;

function setOwn(target: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function has(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

/**
 * `type: xml-to-json` — XML body in, JSON body out. Elements become keys (`prefix:local` for
 * configured namespaces), attributes `@name`, text beside attributes or child elements `#text`.
 * Every value is a string exactly as written (after XML unescaping), so no number is ever
 * rounded. Repeated elements, and the configured `arrays`, become arrays.
 */
export class XmlToJsonStep implements Step {
  private readonly prefixByUri: Map<string, string>;
  private readonly arrays: ReadonlySet<string>;

  constructor(readonly name: string, private readonly options: XmlToJsonOptions) {
    this.prefixByUri = invertPrefixes(options.namespaces);
    this.arrays = new Set(options.arrays);
  }

  async run(message: Envelope, _context?: StepContext): Promise<Envelope> {
    let document;
    try {
      document = parseXml(message.body);
    } catch (error) {
      const reason = error instanceof XmlSyntaxError ? error.describe() : String(error);
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": the body is not well-formed XML (${reason}).`, { cause: error });
    }
    const root = document.documentElement;
    if (!root) throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": the body has no root element.`);
    let result: Json;
    if (this.options.root) {
      const key = this.nameOf(root);
      const out: { [key: string]: Json } = {};
      const value = this.convert(root, `/${key}`);
      setOwn(out, key, this.arrays.has(`/${key}`) ? [value] : value);
      result = out;
    } else {
      const value = this.convert(root, '');
      result = typeof value === 'string' ? (value === '' ? {} : { '#text': value }) : value;
    }
    return withChanges(message, { body: JSON.stringify(result), contentType: 'application/json' });
  }

  /** The value of one element: its text, or an object of attributes, text and children. */
  private convert(element: Element, pointer: string): Json {
    const attributes: Attr[] = [];
    for (let i = 0; i < element.attributes.length; i += 1) {
      const attribute = element.attributes.item(i);
      if (attribute && attribute.namespaceURI !== XMLNS_NAMESPACE) attributes.push(attribute);
    }
    const children: Element[] = [];
    let text = '';
    for (let child: Node | null = element.firstChild; child; child = child.nextSibling) {
      if (child.nodeType === ELEMENT_NODE) children.push(child as Element);
      else if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) text += child.nodeValue ?? '';
    }
    if (attributes.length === 0 && children.length === 0) return text;

    const out: { [key: string]: Json } = {};
    for (const attribute of attributes) setOwn(out, `@${this.nameOf(attribute)}`, attribute.value);
    // Beside child elements, whitespace-only text is indentation, not content.
    if (children.length === 0 ? text !== '' : text.trim() !== '') setOwn(out, '#text', text);
    for (const child of children) {
      const key = this.nameOf(child);
      const childPointer = `${pointer}/${key}`;
      const value = this.convert(child, childPointer);
      const existing = has(out, key) ? out[key] : undefined;
      if (Array.isArray(existing)) existing.push(value);
      else if (existing !== undefined) setOwn(out, key, [existing, value]);
      else setOwn(out, key, this.arrays.has(childPointer) ? [value] : value);
    }
    return out;
  }

  /** The output name of an element or attribute: `local`, `prefix:local` or `xml:local`. */
  private nameOf(node: Element | Attr): string {
    const local = node.localName ?? node.nodeName;
    const uri = node.namespaceURI;
    if (!uri) return local;
    if (uri === XML_NAMESPACE) return `xml:${local}`;
    if (uri === this.options.namespace && node.nodeType === ELEMENT_NODE) return local;
    const prefix = this.prefixByUri.get(uri);
    if (prefix !== undefined) return `${prefix}:${local}`;
    if (this.options.unknownNamespaces === 'fail') {
      const what = node.nodeType === ELEMENT_NODE ? `element <${node.nodeName}>` : `attribute ${node.nodeName}`;
      const line = (node as { lineNumber?: number }).lineNumber;
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": ${what}${line ? ` (line ${line})` : ''} is in the namespace ${uri}, `
        + 'which is not under "namespaces"; add a prefix for it to the step.');
    }
    return node.prefix ? `${node.prefix}:${local}` : local;
  }
}

/** `type: xml-to-json`. */
export const xmlToJsonFactory: StepFactory = {
  type: 'xml-to-json',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      namespaces: PREFIX_MAP_SCHEMA,
      namespace: { type: 'string', minLength: 1 },
      unknownNamespaces: { enum: ['document-prefix', 'fail'], default: 'document-prefix' },
      arrays: { type: 'array', items: { type: 'string', pattern: '^(/[^/]+)+$' }, default: [] },
      root: { type: 'boolean', default: true },
    },
  },
  create: (name, options) => {
    const checked = options as unknown as XmlToJsonOptions;
    if (checked.namespace !== undefined && Object.values(checked.namespaces).includes(checked.namespace)) {
      throw new JunctionError('JCT_CONFIG_INVALID', `Step "${name}": the namespace ${checked.namespace} is both "namespace" (unprefixed) and under "namespaces"; keep one.`);
    }
    try {
      return new XmlToJsonStep(name, checked);
    } catch (error) {
      throw new JunctionError('JCT_CONFIG_INVALID', `Step "${name}": ${(error as Error).message}.`);
    }
  },
};
