import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { stringify as stringifyLossless } from 'lossless-json';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigLocator, type ConfigPath } from '../config/config-location';
import { describeSchemaError, locatedViolations } from '../config/load-config';
import { withChanges, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import { losslessBodyOf, rememberParsedBody } from '../core/parsed-body';
import type { Step, StepContext, StepFactory } from '../core/step';
import { applyMapping, compileMapping, type CompiledMapping, type MappingTable } from './field-mapping';

const POINTER = { type: 'string', pattern: '^(/[^/]+)+$' };

/** JSON Schema of a mapping file; checked when the configuration is loaded. */
const MAPPING_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['fields'],
  properties: {
    description: { type: 'string' },
    fields: { $ref: '#/$defs/fields' },
    lookups: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
  },
  $defs: {
    fields: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['to'],
        oneOf: [{ required: ['from'] }, { required: ['fromOriginal'] }, { required: ['value'] }],
        properties: {
          from: POINTER,
          fromOriginal: POINTER,
          value: { type: 'string' },
          to: POINTER,
          type: { enum: ['string', 'decimal', 'integer', 'boolean', 'date', 'datetime'] },
          default: { type: 'string' },
          required: { type: 'boolean' },
          lookup: { type: 'string' },
          each: { $ref: '#/$defs/fields' },
        },
      },
    },
  },
} as const;

const validateMapping = new Ajv({ allErrors: true, strict: false }).compile(MAPPING_SCHEMA);

/** A problem of a mapping file: where it is (the mapping's own path) and what is wrong. */
interface MappingProblem {
  readonly path: ConfigPath;
  readonly message: string;
}

/** Lookups the rules name that `lookups` does not define, wherever the rules are well-formed enough to say. */
function undefinedLookups(table: unknown): MappingProblem[] {
  const defined = (table as { lookups?: unknown })?.lookups;
  const problems: MappingProblem[] = [];
  const visit = (rules: unknown, at: ConfigPath): void => {
    if (!Array.isArray(rules)) return;
    rules.forEach((rule: unknown, i) => {
      if (typeof rule !== 'object' || rule === null) return;
      const { lookup, each, to } = rule as { lookup?: unknown; each?: unknown; to?: unknown };
      if (typeof lookup === 'string' && !(typeof defined === 'object' && defined !== null && Object.hasOwn(defined, lookup))) {
        problems.push({ path: [...at, i, 'lookup'], message: `field ${String(to)} uses lookup "${lookup}", which is not defined under "lookups"` });
      }
      visit(each, [...at, i, 'each']);
    });
  };
  visit((table as { fields?: unknown })?.fields, ['fields']);
  return problems;
}

/**
 * Reads and checks a mapping file at boot: every problem at once — the table's shape (with the
 * allowed values) and lookups that are not defined — each with its line in the mapping file.
 * Throws JCT_CONFIG_REFERENCE naming the file.
 */
export function loadMappingFile(file: string): MappingTable {
  let document: Document.Parsed;
  const lines = new LineCounter();
  try {
    document = parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines });
    if (document.errors.length > 0) throw document.errors[0];
  } catch (error) {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `Mapping ${file} cannot be read: ${(error as Error).message.split('\n')[0]?.replace(/:$/, '')}`, { cause: error });
  }
  const table: unknown = document.toJS();
  const problems: MappingProblem[] = validateMapping(table) ? [] : (validateMapping.errors ?? []).map(describeSchemaError);
  problems.push(...undefinedLookups(table));
  if (problems.length > 0) {
    const violations = locatedViolations(new ConfigLocator(file, document, lines), problems);
    throw new JunctionError('JCT_CONFIG_REFERENCE', `Mapping ${file} is invalid: ${violations.map((v) => `${v.path}: ${v.message}`).join('; ')}`, { violations });
  }
  return table as MappingTable;
}

/** The message's body as lossless JSON, parsed once per body (core/parsed-body). */
function parseBody(stepName: string, message: Envelope, what: string): unknown {
  try {
    return losslessBodyOf(message);
  } catch (error) {
    throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${stepName}": the ${what} is not valid JSON (${(error as Error).message}).`);
  }
}

/** `type: map` — builds a new JSON body from a field-mapping table; decimals keep their digits. */
export class MapStep implements Step {
  private readonly table: CompiledMapping;

  /** Built at boot: the table's pointers are parsed here, once. */
  constructor(readonly name: string, table: MappingTable) {
    this.table = compileMapping(table);
  }

  async run(message: Envelope, context: StepContext): Promise<Envelope> {
    const input = parseBody(this.name, message, 'message');
    const original = context.original && context.original !== message ? parseBody(this.name, context.original, 'original message') : input;
    const { output, violations } = applyMapping(this.table, input, original);
    if (violations.length > 0) {
      const list = violations.map((v) => `${v.path} ${v.message}`).join('; ');
      throw new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}" cannot map the message: ${list}`, { violations });
    }
    // The stages after this one (json-to-xml, conditions, validators, a SOAP endpoint) read `output`
    // instead of parsing the body again.
    return rememberParsedBody(withChanges(message, { body: String(stringifyLossless(output)), contentType: 'application/json' }), output);
  }
}

/** `type: map` with `mapping: <file relative to the config>`. */
export const mapStepFactory: StepFactory = {
  type: 'map',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['mapping'],
    properties: { mapping: { type: 'string', minLength: 1 } },
  },
  create: (name, options, context) => new MapStep(name, loadMappingFile(path.resolve(context.baseDir, String(options.mapping)))),
};
