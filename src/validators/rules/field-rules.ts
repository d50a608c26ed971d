import { isLosslessNumber } from 'lossless-json';
import { JunctionError, type Violation } from '../../core/errors';
import { compilePointer, getByPointer, type JsonPointer } from '../../core/json-pointer';
import { compareDecimals, isDecimalText } from '../../core/decimal';

/** One rule as configured (the `rules:` items of a `type: rules` step). */
export interface FieldRuleConfig {
  readonly path: string;
  readonly required?: boolean;
  readonly pattern?: string;
  readonly enum?: readonly (string | number | boolean | null)[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly min?: string;
  readonly max?: string;
  readonly message?: string;
}

/** A rule checked at boot and ready to run: the path and pattern compiled, the bounds known decimals. */
export interface FieldRule {
  readonly path: JsonPointer;
  readonly required: boolean;
  readonly pattern?: RegExp;
  readonly enum?: readonly (string | number | boolean | null)[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly min?: string;
  readonly max?: string;
  readonly message?: string;
}

/** JSON Schema of one rule (checked at boot before {@link compileFieldRules}). */
export const FIELD_RULE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', pattern: '^(/([^~]|~[01])*)*$' },
    required: { type: 'boolean' },
    pattern: { type: 'string', minLength: 1 },
    enum: { type: 'array', minItems: 1, items: { type: ['string', 'number', 'boolean', 'null'] } },
    minLength: { type: 'integer', minimum: 0 },
    maxLength: { type: 'integer', minimum: 0 },
    min: { type: 'string' },
    max: { type: 'string' },
    message: { type: 'string', minLength: 1 },
  },
} as const;

const CHECKS = ['required', 'pattern', 'enum', 'minLength', 'maxLength', 'min', 'max'] as const;

/**
 * Checks each rule's options beyond their schema (the pattern compiles, min/max are decimals in
 * order, the rule checks something) and compiles them. Throws JCT_CONFIG_INVALID naming the
 * rule by its index: `rules[2].pattern: ...`.
 */
export function compileFieldRules(configs: readonly FieldRuleConfig[]): FieldRule[] {
  return configs.map((config, index) => {
    const at = `rules[${index}]`;
    const fail = (message: string): never => { throw new JunctionError('JCT_CONFIG_INVALID', `${at}${message}`); };
    if (!CHECKS.some((check) => config[check] !== undefined && config[check] !== false)) {
      fail(` checks nothing: give it required, pattern, enum, minLength, maxLength, min or max`);
    }
    let pattern: RegExp | undefined;
    if (config.pattern !== undefined) {
      try {
        pattern = new RegExp(config.pattern, 'u');
      } catch (error) {
        fail(`.pattern: "${config.pattern}" is not a valid regular expression (${(error as Error).message})`);
      }
    }
    for (const bound of ['min', 'max'] as const) {
      const value = config[bound];
      if (value !== undefined && !isDecimalText(value)) {
        fail(`.${bound}: "${value}" is not a decimal number; write it as a quoted string such as "1000.00" so no digit is lost`);
      }
    }
    if (config.min !== undefined && config.max !== undefined && compareDecimals(config.min, config.max) > 0) {
      fail(`: min ${config.min} is above max ${config.max}`);
    }
    if (config.minLength !== undefined && config.maxLength !== undefined && config.minLength > config.maxLength) {
      fail(`: minLength ${config.minLength} is above maxLength ${config.maxLength}`);
    }
    config.enum?.forEach((value, i) => {
      if (typeof value === 'number' && !Number.isFinite(value)) fail(`.enum[${i}]: ${value} is not a number JSON can hold`);
    });
    return {
      path: compilePointer(config.path),
      required: config.required ?? false,
      ...(pattern ? { pattern } : {}),
      ...(config.enum ? { enum: [...config.enum] } : {}),
      ...(config.minLength !== undefined ? { minLength: config.minLength } : {}),
      ...(config.maxLength !== undefined ? { maxLength: config.maxLength } : {}),
      ...(config.min !== undefined ? { min: config.min } : {}),
      ...(config.max !== undefined ? { max: config.max } : {}),
      ...(config.message !== undefined ? { message: config.message } : {}),
    };
  });
}

/** The text of a number exactly as written (lossless-json), of a string, or undefined. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.value;
  return undefined;
}

/** The decimal text of a JSON number or of a string holding one, or undefined. */
function decimalOf(value: unknown): string | undefined {
  const text = textOf(value);
  return text !== undefined && isDecimalText(text) ? text : undefined;
}

/** Strings equal strings, numbers equal numbers of the same exact value, true/false/null themselves. */
function isSame(allowed: string | number | boolean | null, value: unknown): boolean {
  if (typeof allowed === 'number') return isLosslessNumber(value) && compareDecimals(value.value, String(allowed)) === 0;
  return allowed === value;
}

/** What is wrong with the value at the rule's path (several things when several checks fail). */
function problemsOf(rule: FieldRule, value: unknown): string[] {
  if (value === undefined || value === null) return rule.required ? ['is required'] : [];
  const problems = new Set<string>();
  if (rule.pattern) {
    const text = textOf(value);
    if (text === undefined) problems.add('must be text or a number');
    else if (!rule.pattern.test(text)) problems.add(`must match the pattern ${rule.pattern.source}`);
  }
  if (rule.minLength !== undefined || rule.maxLength !== undefined) {
    if (typeof value !== 'string') {
      problems.add('must be text');
    } else {
      const length = [...value].length;
      if (rule.minLength !== undefined && length < rule.minLength) problems.add(`must be at least ${rule.minLength} characters long (it has ${length})`);
      if (rule.maxLength !== undefined && length > rule.maxLength) problems.add(`must be at most ${rule.maxLength} characters long (it has ${length})`);
    }
  }
  if (rule.enum && !rule.enum.some((allowed) => isSame(allowed, value))) {
    problems.add(`must be one of: ${rule.enum.map((allowed) => (typeof allowed === 'string' ? allowed : JSON.stringify(allowed))).join(', ')}`);
  }
  if (rule.min !== undefined || rule.max !== undefined) {
    const decimal = decimalOf(value);
    if (decimal === undefined) {
      problems.add('must be a number');
    } else {
      if (rule.min !== undefined && compareDecimals(decimal, rule.min) < 0) problems.add(`must be at least ${rule.min}`);
      if (rule.max !== undefined && compareDecimals(decimal, rule.max) > 0) problems.add(`must be at most ${rule.max}`);
    }
  }
  return [...problems];
}

/**
 * Every violation of the rules by a parsed (lossless-json) document, in rule order; a rule
 * with a custom `message` reports it once in place of its own findings.
 */
export function checkFieldRules(rules: readonly FieldRule[], document: unknown): Violation[] {
  return rules.flatMap((rule) => {
    const problems = problemsOf(rule, getByPointer(document, rule.path));
    if (problems.length === 0) return [];
    const path = rule.path.text;
    return rule.message !== undefined ? [{ path, message: rule.message }] : problems.map((message) => ({ path, message }));
  });
}
