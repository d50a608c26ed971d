import { isLosslessNumber } from 'lossless-json';
import { withChanges, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import { checkJsonDepth } from '../core/json-limits';
import { isBuiltBody, losslessBodyOf } from '../core/parsed-body';
import { checkXmlText, xmlLimits } from '../core/xml';
import type { Step, StepContext, StepFactory } from '../core/step';
import { PREFIX_MAP_SCHEMA, QNAME } from './xml-document';

/** Options of a `json-to-xml` step. */
export interface JsonToXmlOptions {
  /**
   * Name of the root element wrapping the JSON object's fields (`order`, `erp:SalesOrder`). When
   * absent, the body must be an object with exactly one field, which is the root (the shape
   * `xml-to-json` writes).
   */
  readonly root?: string;
  /** Write `<?xml version="1.0" encoding="UTF-8"?>` first (default true). */
  readonly declaration: boolean;
  /** Default namespace declared on the root (`xmlns="…"`): unprefixed elements are in it. */
  readonly namespace?: string;
  /** `{ prefix: uri }` declared on the root, so keys `prefix:name` become qualified names. */
  readonly prefixes?: Readonly<Record<string, string>>;
}

/** Characters XML 1.0 cannot carry at all, even escaped (C0 controls but tab, LF, CR; U+FFFE/F; lone surrogates). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A quick first look for {@link NOT_XML}: any control character, surrogate or U+FFFE/F at all. */
const MAYBE_NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const NEEDS_ESCAPE = /[&<>\r]/;

function escapeText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Writes parsed (lossless) JSON as XML: fields become elements, `@name` fields attributes,
 * `#text` the element's text, arrays repeated elements (in order), nulls are left out, and numbers
 * keep their exact source text ("250.00" stays "250.00").
 */
class XmlWriter {
  private readonly parts: string[] = [];

  constructor(private readonly stepName: string, private readonly declared: ReadonlySet<string>, private readonly goodNames: Set<string>) {}

  fail(message: string): never {
    throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.stepName}": ${message}`);
  }

  /** The text of a scalar, or undefined for an object/array (the caller decides). */
  scalar(value: unknown, path: string): string | undefined {
    let text: string | undefined;
    if (typeof value === 'string') text = value;
    else if (isLosslessNumber(value)) text = value.value;
    else if (typeof value === 'boolean' || typeof value === 'number') text = String(value);
    if (text !== undefined && MAYBE_NOT_XML.test(text) && NOT_XML.test(text)) {
      const code = NOT_XML.exec(text)?.[0]?.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      this.fail(`field "${path}" holds the character U+${code ?? '?'}, which XML 1.0 cannot carry.`);
    }
    return text;
  }

  checkName(name: string, path: string, what: 'element' | 'attribute'): void {
    if (this.goodNames.has(name)) return;
    if (!QNAME.test(name) || name === 'xmlns' || name.startsWith('xmlns:')) {
      this.fail(`field "${path}" cannot become an XML ${what} name${name.startsWith('xmlns') ? ' (declare namespaces with the "namespace" and "prefixes" options)' : ''}.`);
    }
    const colon = name.indexOf(':');
    if (colon > 0 && !this.declared.has(name.slice(0, colon))) {
      this.fail(`field "${path}" uses the prefix "${name.slice(0, colon)}", which is not under "prefixes" (declared: ${[...this.declared].join(', ')}).`);
    }
    if (this.goodNames.size < GOOD_NAMES_KEPT) this.goodNames.add(name);
  }

  /** Writes `value` as the element(s) `name`; `rootAttributes` go on this element only. */
  element(name: string, value: unknown, path: string, rootAttributes = ''): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item: unknown, i) => {
        if (Array.isArray(item)) this.fail(`field "${path}[${i}]" is an array inside an array, which XML cannot express.`);
        this.element(name, item ?? '', `${path}[${i}]`, rootAttributes);
      });
      return;
    }
    this.checkName(name, path, 'element');
    const text = this.scalar(value, path);
    if (text !== undefined) {
      this.parts.push(`<${name}${rootAttributes}>${escapeText(text)}</${name}>`);
      return;
    }
    if (typeof value !== 'object') this.fail(`value at "${path}" cannot be written as XML.`);
    let attributes = rootAttributes;
    let body = '';
    const children: [string, unknown][] = [];
    for (const [key, child] of Object.entries(value)) {
      const childPath = join(path, key);
      if (key === '#text') {
        const childText = child === null ? '' : this.scalar(child, childPath);
        if (childText === undefined) this.fail(`field "${childPath}" must be text, not an object or array.`);
        body += escapeText(childText);
      } else if (key.startsWith('@')) {
        if (child === null) continue;
        this.checkName(key.slice(1), childPath, 'attribute');
        const attributeText = this.scalar(child, childPath);
        if (attributeText === undefined) this.fail(`attribute field "${childPath}" must be text, not an object or array.`);
        attributes += ` ${key.slice(1)}="${escapeAttribute(attributeText)}"`;
      } else {
        children.push([key, child]);
      }
    }
    this.parts.push(`<${name}${attributes}>${body}`);
    for (const [key, child] of children) this.element(key, child, join(path, key));
    this.parts.push(`</${name}>`);
  }

  text(): string {
    return this.parts.join('');
  }
}

/** Names a step remembers as checked (element names repeat message after message; they come from data, so bounded). */
const GOOD_NAMES_KEPT = 1000;

/** The step: JSON body in, XML body out (content type application/xml), exact numbers. */
export class JsonToXmlStep implements Step {
  private readonly namespaceAttributes: string;
  private readonly declared: ReadonlySet<string>;
  /** Element and attribute names that passed {@link XmlWriter.checkName} under this step's prefixes. */
  private readonly goodNames = new Set<string>();

  constructor(readonly name: string, private readonly options: JsonToXmlOptions) {
    const prefixes = Object.entries(options.prefixes ?? {});
    this.declared = new Set(['xml', ...prefixes.map(([prefix]) => prefix)]);
    this.namespaceAttributes = (options.namespace !== undefined ? ` xmlns="${escapeAttribute(options.namespace)}"` : '')
      + prefixes.map(([prefix, uri]) => ` xmlns:${prefix}="${escapeAttribute(uri)}"`).join('');
  }

  async run(message: Envelope, _context?: StepContext): Promise<Envelope> {
    // One parse per body (core/parsed-body): the document a map step built the body from, or the
    // one an earlier reader parsed. A body from outside a step is depth-checked first either way.
    let parsed: unknown;
    try {
      if (!isBuiltBody(message)) checkJsonDepth(message.body, xmlLimits().maxDepth);
      parsed = losslessBodyOf(message);
    } catch (error) {
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": body is not valid JSON (${(error as Error).message}).`, { cause: error });
    }
    const { root } = this.options;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": body must be a JSON object to become ${root ? `<${root}>` : 'XML'}.`);
    }
    const writer = new XmlWriter(this.name, this.declared, this.goodNames);
    if (root !== undefined) {
      writer.element(root, parsed, '', this.namespaceAttributes);
    } else {
      const fields = Object.entries(parsed);
      const [first] = fields;
      if (fields.length !== 1 || !first || first[0].startsWith('@') || first[0] === '#text' || first[1] === null || Array.isArray(first[1])) {
        writer.fail('without a "root" option, the body must be an object with exactly one field (not an attribute, text, null or array), which becomes the root element.');
      }
      writer.element(first[0], first[1], first[0], this.namespaceAttributes);
    }
    const declaration = this.options.declaration ? '<?xml version="1.0" encoding="UTF-8"?>' : '';
    const body = `${declaration}${writer.text()}`;
    try {
      checkXmlText(body); // what this step produces is held to the same limits as what Junction reads
    } catch (error) {
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": the XML it would produce breaks the XML limits: ${(error as Error).message}.`);
    }
    return withChanges(message, { body, contentType: 'application/xml; charset=utf-8' });
  }
}

/** `type: json-to-xml`. */
export const jsonToXmlFactory: StepFactory = {
  type: 'json-to-xml',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      root: { type: 'string', pattern: QNAME.source },
      declaration: { type: 'boolean', default: true },
      namespace: { type: 'string', minLength: 1 },
      prefixes: PREFIX_MAP_SCHEMA,
    },
  },
  create: (name, options) => {
    const checked = options as unknown as JsonToXmlOptions;
    const rootPrefix = checked.root?.includes(':') ? checked.root.split(':')[0] ?? '' : undefined;
    if (rootPrefix !== undefined && !Object.prototype.hasOwnProperty.call(checked.prefixes ?? {}, rootPrefix)) {
      throw new JunctionError('JCT_CONFIG_INVALID', `Step "${name}": root "${checked.root ?? ''}" uses the prefix "${rootPrefix}", which is not under "prefixes".`);
    }
    return new JsonToXmlStep(name, checked);
  },
};
