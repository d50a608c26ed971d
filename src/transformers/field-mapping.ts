import { isLosslessNumber, LosslessNumber } from 'lossless-json';
import { compilePointer, getByPointer, type JsonPointer } from '../core/json-pointer';
import type { Violation } from '../core/errors';

/** How a mapped value is converted. Decimals and integers keep their exact digits. */
export type FieldType = 'string' | 'decimal' | 'integer' | 'boolean' | 'date' | 'datetime';

/** One row of a mapping table: where a value comes from, where it goes, and how it is converted. */
export interface FieldRule {
  /** JSON pointer in the current message (`/customerId`). */
  readonly from?: string;
  /** JSON pointer in the message that entered the route, for reply mappings (`/customerId`). */
  readonly fromOriginal?: string;
  /** A constant value instead of `from`. */
  readonly value?: string;
  /** JSON pointer in the output (`/CUST_NO`). */
  readonly to: string;
  readonly type?: FieldType;
  /** Used when the source is absent or null. */
  readonly default?: string;
  /** The value must be present (after `default`). */
  readonly required?: boolean;
  /** Name of a lookup table: the value is replaced by the table's entry, and must have one. */
  readonly lookup?: string;
  /**
   * The source is a list: map each of its items with these rules (pointers relative to the item)
   * into a list at `to`. A single object counts as a list of one.
   */
  readonly each?: readonly FieldRule[];
}

/** A mapping table as written in config/mappings/*.yaml. */
export interface MappingTable {
  readonly fields: readonly FieldRule[];
  readonly lookups?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A rule with its pointers compiled ({@link compileMapping}). */
export interface CompiledFieldRule extends Omit<FieldRule, 'from' | 'fromOriginal' | 'to' | 'each'> {
  readonly from?: JsonPointer;
  readonly fromOriginal?: JsonPointer;
  readonly to: JsonPointer;
  readonly each?: readonly CompiledFieldRule[];
}

/** A mapping table ready to apply: every pointer parsed once, when the step is built at boot. */
export interface CompiledMapping {
  readonly fields: readonly CompiledFieldRule[];
  readonly lookups?: MappingTable['lookups'];
}

function compileRule(rule: FieldRule): CompiledFieldRule {
  const { from, fromOriginal, to, each, ...rest } = rule;
  return {
    ...rest,
    ...(from !== undefined ? { from: compilePointer(from) } : {}),
    ...(fromOriginal !== undefined ? { fromOriginal: compilePointer(fromOriginal) } : {}),
    to: compilePointer(to),
    ...(each !== undefined ? { each: each.map(compileRule) } : {}),
  };
}

/** Compiles a (checked) mapping table's pointers. */
export function compileMapping(table: MappingTable): CompiledMapping {
  return { fields: table.fields.map(compileRule), ...(table.lookups ? { lookups: table.lookups } : {}) };
}

const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A scalar as text, exactly as it was written; undefined for absent/null; objects refused. */
function scalarText(value: unknown): string | undefined | Error {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return new Error('is an object or array, not a single value');
}

function convert(text: string, type: FieldType): unknown | Error {
  switch (type) {
    case 'string': return text;
    case 'decimal': return DECIMAL.test(text) ? new LosslessNumber(text) : new Error(`"${text}" is not a decimal number (digits, optional "." and decimals)`);
    case 'integer': return INTEGER.test(text) ? new LosslessNumber(text) : new Error(`"${text}" is not a whole number`);
    case 'boolean': return text === 'true' ? true : text === 'false' ? false : new Error(`"${text}" is not true or false`);
    case 'date': return DATE.test(text) ? text : new Error(`"${text}" is not a date (YYYY-MM-DD)`);
    case 'datetime': return DATETIME.test(text) ? text : new Error(`"${text}" is not a date-time with a time zone (YYYY-MM-DDThh:mm:ssZ)`);
  }
}

/** Sets an own property, even one named `__proto__` (plain assignment would set the prototype instead). */
function setOwn(node: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  else node[key] = value;
}

/** Sets `value` at a JSON pointer, creating objects on the way (own properties only). */
function setByPointer(target: Record<string, unknown>, pointer: JsonPointer, value: unknown): void {
  const parts = pointer.tokens;
  if (parts.length === 0) return; // mapping files' pointers are never empty (checked at boot)
  let node = target;
  const last = parts.length - 1;
  for (let i = 0; i < last; i += 1) {
    const part = parts[i] as string;
    let next = Object.prototype.hasOwnProperty.call(node, part) ? node[part] : undefined;
    if (next === undefined || next === null || typeof next !== 'object') {
      next = {};
      setOwn(node, part, next);
    }
    node = next as Record<string, unknown>;
  }
  setOwn(node, parts[last] as string, value);
}

/**
 * Applies a mapping table to a parsed (lossless) JSON document. Returns the new document, or every
 * violation found (a value missing, unconvertible or without a lookup entry) — never half a result.
 */
export function applyMapping(table: CompiledMapping, input: unknown, original: unknown): { output: Record<string, unknown>; violations: Violation[] } {
  const output: Record<string, unknown> = {};
  const violations: Violation[] = [];
  for (const rule of table.fields) {
    const source = (rule.from ?? rule.fromOriginal)?.text ?? '';
    let raw: unknown = rule.value;
    if (rule.from !== undefined) raw = getByPointer(input, rule.from);
    else if (rule.fromOriginal !== undefined) raw = getByPointer(original, rule.fromOriginal);
    if (rule.each) {
      const items = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
      if (items.length === 0) {
        if (rule.required) violations.push({ path: source, message: `is required (a list, for ${rule.to.text})` });
        continue;
      }
      const each: CompiledMapping = { fields: rule.each, ...(table.lookups ? { lookups: table.lookups } : {}) };
      const mapped = items.map((item, i) => {
        const result = applyMapping(each, item, original);
        for (const v of result.violations) violations.push({ path: `${source}/${i}${v.path}`, message: v.message });
        return result.output;
      });
      setByPointer(output, rule.to, mapped);
      continue;
    }
    let text = scalarText(raw);
    if (text instanceof Error) {
      violations.push({ path: source, message: text.message });
      continue;
    }
    text ??= rule.default;
    if (text === undefined) {
      if (rule.required) violations.push({ path: source, message: `is required (for ${rule.to.text})` });
      continue;
    }
    if (rule.lookup !== undefined) {
      const table2 = table.lookups?.[rule.lookup] ?? {};
      const mapped = Object.prototype.hasOwnProperty.call(table2, text) ? table2[text] : undefined;
      if (mapped === undefined) {
        violations.push({ path: source, message: `"${text}" has no entry in lookup "${rule.lookup}" (known: ${Object.keys(table2).join(', ')})` });
        continue;
      }
      text = mapped;
    }
    const converted = convert(text, rule.type ?? 'string');
    if (converted instanceof Error) {
      violations.push({ path: source, message: converted.message });
      continue;
    }
    setByPointer(output, rule.to, converted);
  }
  return { output, violations };
}
