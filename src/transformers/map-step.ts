import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { stringify as stringifyLossless } from 'lossless-json';
import { parse as parseYaml } from 'yaml';
import { withChanges, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import { losslessBodyOf, rememberParsedBody } from '../core/parsed-body';
import type { Step, StepContext, StepFactory } from '../core/step';
import { applyMapping, type MappingTable } from './field-mapping';

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

/** Reads and checks a mapping file at boot; throws JCT_CONFIG_REFERENCE naming the file and the problem. */
export function loadMappingFile(file: string): MappingTable {
  let table: unknown;
  try {
    table = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `Mapping ${file} cannot be read: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  if (!validateMapping(table)) {
    const problems = (validateMapping.errors ?? []).map((e) => `${e.instancePath || '(top)'} ${e.message ?? ''}`).join('; ');
    throw new JunctionError('JCT_CONFIG_REFERENCE', `Mapping ${file} is invalid: ${problems}`);
  }
  const checked = table as MappingTable;
  const checkLookups = (rules: MappingTable['fields']): void => {
    for (const rule of rules) {
      if (rule.lookup !== undefined && !checked.lookups?.[rule.lookup]) {
        throw new JunctionError('JCT_CONFIG_REFERENCE', `Mapping ${file}: field ${rule.to} uses lookup "${rule.lookup}", which is not defined under "lookups".`);
      }
      if (rule.each) checkLookups(rule.each);
    }
  };
  checkLookups(checked.fields);
  return checked;
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
  constructor(readonly name: string, private readonly table: MappingTable) {}

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
