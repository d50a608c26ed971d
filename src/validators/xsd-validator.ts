import path from 'node:path';
import { JunctionError } from '../core/errors';
import type { Envelope } from '../core/envelope';
import type { Step, StepContext, StepFactory } from '../core/step';
import { CompiledXsd, XmlNotAccepted, type XmlViolation } from './xsd/compiled-xsd';
import { readSchemaFiles } from './xsd/schema-files';

/** How many violations the error message spells out; `violations` holds them all. */
const LISTED_IN_MESSAGE = 10;

/** An expected root element: `{urn:x}order` or `order` (no namespace). */
export interface ElementName {
  readonly namespace: string;
  readonly local: string;
}

/** `{urn:x}order` → { namespace: 'urn:x', local: 'order' }. */
export function parseElementName(text: string): ElementName {
  const match = /^(?:\{([^}]*)\})?([^{}\s]+)$/.exec(text);
  if (!match) throw new JunctionError('JCT_CONFIG_INVALID', `element "${text}" is not a name such as {urn:example:orders}order`);
  return { namespace: match[1] ?? '', local: match[2]! };
}

function describe(violations: readonly XmlViolation[]): string {
  const say = (v: XmlViolation): string => `${v.path}${v.line ? ` (line ${v.line})` : ''}: ${v.message.replace(/\.$/, '')}`;
  const listed = violations.slice(0, LISTED_IN_MESSAGE).map(say).join('; ');
  const rest = violations.length - LISTED_IN_MESSAGE;
  return rest > 0 ? `${listed}; and ${rest} more (all are listed in the violations)` : listed;
}

/**
 * A step that validates an XML body against an XSD compiled at boot: every violation is
 * reported (up to 100, then a count); a DOCTYPE or malformed XML is refused. Failures are
 * permanent (JCT_VALIDATION_FAILED). Compiling starts at construction (libxml2 loads
 * asynchronously): await {@link ready} at start; {@link run} waits for it too.
 */
export class XsdStep implements Step {
  private readonly compiled: Promise<CompiledXsd>;

  constructor(readonly name: string, schemaFile: string, private readonly expectElement?: ElementName) {
    const files = readSchemaFiles(schemaFile);
    this.compiled = CompiledXsd.compile(`Step "${name}": XML Schema ${schemaFile} does not compile`, files.root, files.others);
    // Reported through ready() (at start) or run(); never an unhandled rejection.
    this.compiled.catch(() => undefined);
  }

  /** Resolves once the schema is compiled; rejects with JCT_CONFIG_REFERENCE when it does not compile. */
  async ready(): Promise<void> {
    await this.compiled;
  }

  async run(message: Envelope, _context?: StepContext): Promise<Envelope> {
    const xsd = await this.compiled.catch((error: unknown) => {
      throw new JunctionError('JCT_INTERNAL', `Step "${this.name}": its XML Schema did not compile (see the start-up log).`, { cause: error });
    });
    let violations: XmlViolation[];
    try {
      violations = xsd.validate(message.body, this.expectElement ? { expectElement: this.expectElement } : {});
    } catch (error) {
      if (!(error instanceof XmlNotAccepted)) throw error;
      if (error.reason === 'doctype') {
        throw new JunctionError('JCT_VALIDATION_FAILED', `Step "${this.name}": message is invalid: it has a DOCTYPE; document type declarations are refused.`, {
          violations: [{ path: '', message: 'A DOCTYPE is not allowed; send the document without one.' }],
        });
      }
      const where = error.line ? `${error.line}:${error.column ?? 0}` : '';
      throw new JunctionError('JCT_VALIDATION_FAILED', `Step "${this.name}": message is not well-formed XML${where ? ` (line ${error.line}, column ${error.column ?? 0})` : ''}: ${error.message}`, {
        violations: [{ path: where, message: `Not well-formed XML: ${error.message}` }],
      });
    }
    if (violations.length > 0) {
      throw new JunctionError('JCT_VALIDATION_FAILED', `Step "${this.name}": message is invalid: ${describe(violations)}`, { violations });
    }
    return message;
  }

  /** Frees the compiled schema (wasm memory). Idempotent. */
  async close(): Promise<void> {
    const xsd = await this.compiled.catch(() => undefined);
    xsd?.close();
  }
}

/**
 * `type: xsd` with `schema: <file relative to the config>` (its xs:import / xs:include are
 * resolved relative to it) and optional `element: '{namespace}local'`, the required root.
 */
export const xsdFactory: StepFactory = {
  type: 'xsd',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['schema'],
    properties: {
      schema: { type: 'string', minLength: 1 },
      element: { type: 'string', pattern: '^(\\{[^}]*\\})?[^{}\\s]+$' },
    },
  },
  create: (name, options, context) => new XsdStep(
    name,
    path.resolve(context.baseDir, String(options.schema)),
    options.element === undefined ? undefined : parseElementName(String(options.element)),
  ),
};
