import { XMLBuilder } from 'fast-xml-parser';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { withChanges, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import type { Step, StepContext, StepFactory } from '../core/step';

/** Options of a `json-to-xml` step. */
export interface JsonToXmlOptions {
  /** Name of the root element wrapping the JSON object's fields. */
  readonly root: string;
  /** Write `<?xml version="1.0" encoding="UTF-8"?>` first (default true). */
  readonly declaration: boolean;
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

type XmlTree = string | XmlTree[] | { [name: string]: XmlTree };

/**
 * Turns parsed JSON into a tree the XML builder writes: numbers keep their exact source text
 * ("250.00" stays "250.00"), nulls are left out, arrays become repeated elements.
 */
function toXmlTree(value: unknown, path: string): XmlTree | undefined {
  if (value === null || value === undefined) return undefined;
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((item, i) => toXmlTree(item, `${path}[${i}]`) ?? '');
  if (typeof value === 'object') {
    const out: { [name: string]: XmlTree } = {};
    for (const [key, child] of Object.entries(value)) {
      if (!XML_NAME.test(key)) {
        throw new JunctionError('JCT_TRANSFORM_FAILED', `Field "${path}${path ? '.' : ''}${key}" cannot become an XML element name.`);
      }
      const converted = toXmlTree(child, `${path}${path ? '.' : ''}${key}`);
      if (converted !== undefined) Object.defineProperty(out, key, { value: converted, enumerable: true });
    }
    return out;
  }
  throw new JunctionError('JCT_TRANSFORM_FAILED', `Value at "${path}" cannot be written as XML.`);
}

/** The step: JSON body in, XML body out, exact numbers. The full XML↔JSON pair comes with the routes work. */
export class JsonToXmlStep implements Step {
  private readonly builder: XMLBuilder;

  constructor(readonly name: string, private readonly options: JsonToXmlOptions) {
    this.builder = new XMLBuilder({ format: false, suppressEmptyNode: false, processEntities: true });
  }

  async run(message: Envelope, _context?: StepContext): Promise<Envelope> {
    let parsed: unknown;
    try {
      parsed = parseLossless(message.body);
    } catch (error) {
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": body is not valid JSON (${(error as Error).message}).`, { cause: error });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": body must be a JSON object to become <${this.options.root}>.`);
    }
    const tree = toXmlTree(parsed, '');
    const xml = this.builder.build({ [this.options.root]: tree }) as string;
    const declaration = this.options.declaration ? '<?xml version="1.0" encoding="UTF-8"?>' : '';
    return withChanges(message, { body: `${declaration}${xml}`, contentType: 'application/xml; charset=utf-8' });
  }
}

/** `type: json-to-xml`. */
export const jsonToXmlFactory: StepFactory = {
  type: 'json-to-xml',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['root'],
    properties: {
      root: { type: 'string', pattern: XML_NAME.source },
      declaration: { type: 'boolean', default: true },
    },
  },
  create: (name, options) => new JsonToXmlStep(name, options as unknown as JsonToXmlOptions),
};
