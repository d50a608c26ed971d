import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020';
import type { ErrorObject } from 'ajv';
import { JunctionError, type Violation } from '../core/errors';
import type { Envelope } from '../core/envelope';
import type { Step, StepContext, StepFactory } from '../core/step';

/** Checks a parsed JSON value; returns every violation (empty when valid). */
export type JsonCheck = (value: unknown) => Violation[];

function violationOf(error: ErrorObject): Violation {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return { path: `${error.instancePath}/${String(params.additionalProperty)}`, message: 'is not allowed here' };
    case 'enum':
      return { path: error.instancePath, message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}` };
    default:
      return { path: error.instancePath, message: error.message ?? 'is invalid' };
  }
}

/**
 * Compiles a JSON Schema file once (at boot) into a check that reports every violation with its
 * JSON pointer. Throws JCT_CONFIG_REFERENCE when the file is missing or not a valid schema.
 */
export function compileJsonSchemaFile(file: string): JsonCheck {
  return loadJsonSchemaFile(file).check;
}

/** Like {@link compileJsonSchemaFile}, also returning the schema itself (for API documents). */
export function loadJsonSchemaFile(file: string): { schema: Readonly<Record<string, unknown>>; check: JsonCheck } {
  let schema: Record<string, unknown>;
  try {
    schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `JSON Schema ${file} cannot be read as JSON: ${(error as Error).message}`, { cause: error });
  }
  let validate;
  try {
    validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
  } catch (error) {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `JSON Schema ${file} is not a valid schema: ${(error as Error).message}`, { cause: error });
  }
  const check: JsonCheck = (value) => (validate(value) ? [] : (validate.errors ?? []).map(violationOf));
  return { schema, check };
}

/** Throws JCT_VALIDATION_FAILED listing every violation, or returns when there are none. */
export function assertValid(violations: readonly Violation[], what: string): void {
  if (violations.length === 0) return;
  const list = violations.map((v) => `${v.path || '(root)'} ${v.message}`).join('; ');
  throw new JunctionError('JCT_VALIDATION_FAILED', `${what} is invalid: ${list}`, { violations });
}

/** A step that validates a JSON body against a schema; a failure is permanent. */
export class JsonSchemaStep implements Step {
  constructor(readonly name: string, private readonly check: JsonCheck) {}

  async run(message: Envelope, _context?: StepContext): Promise<Envelope> {
    let value: unknown;
    try {
      value = JSON.parse(message.body);
    } catch {
      throw new JunctionError('JCT_VALIDATION_FAILED', `Step "${this.name}": body is not valid JSON.`);
    }
    assertValid(this.check(value), `Step "${this.name}": message`);
    return message;
  }
}

/** `type: json-schema` with `schema: <file relative to the config>`. */
export const jsonSchemaFactory: StepFactory = {
  type: 'json-schema',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['schema'],
    properties: { schema: { type: 'string', minLength: 1 } },
  },
  create: (name, options, context) => new JsonSchemaStep(name, compileJsonSchemaFile(path.resolve(context.baseDir, String(options.schema)))),
};
