import { Ajv } from 'ajv';
import type { ConfigPath } from '../config/config-location';
import { describeSchemaError } from '../config/load-config';

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: true, strict: false });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

/** A problem found in one option, with its path in the configuration. */
export interface OptionProblem {
  readonly path: ConfigPath;
  readonly message: string;
}

/**
 * Checks a connector's or step's options against its schema. Returns a fresh copy with defaults
 * filled in (configuration is frozen) and every problem, each with its full config path.
 */
export function checkOptions(schema: object, options: Readonly<Record<string, unknown>>, omit: readonly string[], base: ConfigPath):
  { value: Record<string, unknown>; problems: OptionProblem[] } {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  const value: Record<string, unknown> = structuredClone({ ...options });
  for (const key of omit) delete value[key];
  if (validate(value)) return { value, problems: [] };
  const problems = (validate.errors ?? []).map((error) => {
    const described = describeSchemaError(error);
    return { path: [...base, ...described.path], message: described.message };
  });
  return { value, problems };
}
