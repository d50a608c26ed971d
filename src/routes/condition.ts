import type { Document as XmlDocument } from '@xmldom/xmldom';
import { isLosslessNumber } from 'lossless-json';
import { compareDecimals, isDecimalText as isDecimal } from '../core/decimal';
import type { Envelope } from '../core/envelope';
import { compilePointer, getByPointer } from '../core/json-pointer';
import { losslessBodyOf } from '../core/parsed-body';
import { parseXml } from '../core/xml';

/** A content-based routing condition, as written under `when:` in a route's `deliver` entry. */
export type ConditionConfig =
  | { readonly all: readonly ConditionConfig[] }
  | { readonly any: readonly ConditionConfig[] }
  | { readonly not: ConditionConfig }
  | (Comparison & ({ readonly json: string } | { readonly header: string } | { readonly xpath: string; readonly namespaces?: Readonly<Record<string, string>> }));

/** What a selected value is compared with. Exactly one operator per condition. */
export interface Comparison {
  readonly equals?: string;
  readonly notEquals?: string;
  readonly in?: readonly string[];
  readonly matches?: string;
  readonly exists?: boolean;
  readonly greaterThan?: string;
  readonly greaterOrEqual?: string;
  readonly lessThan?: string;
  readonly lessOrEqual?: string;
}

const OPERATORS = ['equals', 'notEquals', 'in', 'matches', 'exists', 'greaterThan', 'greaterOrEqual', 'lessThan', 'lessOrEqual'] as const;
const SCALAR = { type: 'string' };

/** JSON Schema of a condition (recursive), checked at boot with the route. */
export const CONDITION_SCHEMA = {
  $id: 'urn:junction:condition',
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['all'], properties: { all: { type: 'array', minItems: 1, items: { $ref: 'urn:junction:condition' } } } },
    { type: 'object', additionalProperties: false, required: ['any'], properties: { any: { type: 'array', minItems: 1, items: { $ref: 'urn:junction:condition' } } } },
    { type: 'object', additionalProperties: false, required: ['not'], properties: { not: { $ref: 'urn:junction:condition' } } },
    {
      type: 'object',
      additionalProperties: false,
      minProperties: 2,
      maxProperties: 3,
      properties: {
        json: { type: 'string', pattern: '^(/[^/]+)+$' },
        header: { type: 'string', minLength: 1 },
        xpath: { type: 'string', minLength: 1 },
        namespaces: { type: 'object', additionalProperties: { type: 'string' } },
        equals: SCALAR, notEquals: SCALAR, matches: SCALAR,
        in: { type: 'array', items: SCALAR, minItems: 1 },
        exists: { type: 'boolean' },
        greaterThan: SCALAR, greaterOrEqual: SCALAR, lessThan: SCALAR, lessOrEqual: SCALAR,
      },
      oneOf: [{ required: ['json'] }, { required: ['header'] }, { required: ['xpath'] }],
    },
  ],
} as const;

/** A compiled condition: true when the message matches. Throws only for a body that cannot be read. */
export type Condition = (message: Envelope, parsed: ParsedBodies) => boolean;

/** Lazily parsed forms of one message's body, shared by all conditions evaluated on it. */
export class ParsedBodies {
  private json: { value: unknown } | undefined;
  private xml: { value: XmlDocument | undefined } | undefined;
  constructor(private readonly message: Envelope) {}

  /**
   * The body as lossless JSON, or undefined when it is not JSON. Parsed once per body for every
   * stage (core/parsed-body): the map step's document, or the parse of an earlier reader.
   */
  asJson(): unknown {
    if (!this.json) {
      try {
        this.json = { value: losslessBodyOf(this.message) };
      } catch {
        this.json = { value: undefined };
      }
    }
    return this.json.value;
  }

  /** The body as a namespace-aware DOM, or undefined when it is not well-formed XML (DOCTYPE refused). */
  asXml(): XmlDocument | undefined {
    if (!this.xml) {
      let value: XmlDocument | undefined;
      try {
        value = parseXml(this.message.body);
      } catch {
        value = undefined; // not XML, or refused (DOCTYPE): the condition sees no value
      }
      this.xml = { value };
    }
    return this.xml.value;
  }
}

/** Minimal typing of the `xpath` package (its own .d.ts drags the DOM library into the build). */
interface XPathLib {
  useNamespaces(map: Record<string, string>): (expression: string, node: unknown) => unknown;
  parse(expression: string): unknown;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const xpath = require('xpath') as XPathLib;

function stringValue(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? undefined : stringValue(value[0]);
  const node = value as { nodeType?: number; textContent?: string | null; nodeValue?: string | null };
  if (typeof node.nodeType === 'number') return node.textContent ?? node.nodeValue ?? '';
  return undefined;
}

function compare(config: Comparison, at: string): (value: string | undefined) => boolean {
  const operator = OPERATORS.find((op) => config[op] !== undefined);
  const decimalOperand = (operand: string): string => {
    if (!isDecimal(operand)) throw new Error(`${at}: ${String(operator)} needs a decimal number, got "${operand}"`);
    return operand;
  };
  switch (operator) {
    case 'equals': return (v) => v === config.equals;
    case 'notEquals': return (v) => v !== config.notEquals;
    case 'in': return (v) => v !== undefined && (config.in ?? []).includes(v);
    case 'matches': {
      let pattern: RegExp;
      try {
        pattern = new RegExp(String(config.matches));
      } catch (error) {
        throw new Error(`${at}: "matches" is not a valid regular expression (${(error as Error).message})`);
      }
      return (v) => v !== undefined && pattern.test(v);
    }
    case 'exists': return (v) => (v !== undefined) === config.exists;
    case 'greaterThan': case 'greaterOrEqual': case 'lessThan': case 'lessOrEqual': {
      const operand = decimalOperand(String(config[operator]));
      const accept = { greaterThan: (c: number) => c > 0, greaterOrEqual: (c: number) => c >= 0, lessThan: (c: number) => c < 0, lessOrEqual: (c: number) => c <= 0 }[operator];
      return (v) => v !== undefined && isDecimal(v) && accept(compareDecimals(v, operand));
    }
    default:
      throw new Error(`${at}: give one operator (${OPERATORS.join(', ')})`);
  }
}

/**
 * Compiles a condition once, at boot: regular expressions, XPath expressions and decimal
 * operands are checked then, so a typo fails the start with its place named. Throws an Error
 * whose message starts with `at`.
 */
export function compileCondition(config: ConditionConfig, at: string): Condition {
  if ('all' in config) {
    const parts = config.all.map((c, i) => compileCondition(c, `${at}.all[${i}]`));
    return (m, p) => parts.every((c) => c(m, p));
  }
  if ('any' in config) {
    const parts = config.any.map((c, i) => compileCondition(c, `${at}.any[${i}]`));
    return (m, p) => parts.some((c) => c(m, p));
  }
  if ('not' in config) {
    const inner = compileCondition(config.not, `${at}.not`);
    return (m, p) => !inner(m, p);
  }
  const test = compare(config, at);
  if ('json' in config) {
    const pointer = compilePointer(config.json);
    return (_m, p) => test(stringValue(getByPointer(p.asJson(), pointer)));
  }
  if ('header' in config) {
    const name = config.header.toLowerCase();
    return (m) => test(m.headers[name]);
  }
  const expression = config.xpath;
  try {
    xpath.parse(expression);
  } catch (error) {
    throw new Error(`${at}: "${expression}" is not a valid XPath expression (${(error as Error).message})`);
  }
  const select = xpath.useNamespaces({ ...(config.namespaces ?? {}) });
  return (_m, p) => {
    const document = p.asXml();
    if (!document) return test(undefined);
    let result: unknown;
    try {
      result = select(expression, document);
    } catch {
      return test(undefined);
    }
    return test(stringValue(result));
  };
}
