import path from 'node:path';
import jsonata from 'jsonata';
import { LosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { withChanges, type Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import type { Step, StepContext, StepFactory } from '../core/step';
import { NumberTexts } from './number-texts';
import { lineAndColumn, readReferencedFile } from './referenced-file';

/** What JSONata throws: a plain object (not always an Error) with a code and a position. */
interface JsonataFailure {
  readonly code?: string;
  readonly position?: number;
  readonly token?: unknown;
  readonly message?: string;
}

/** A compiled expression and what the step needs to know about it. */
export interface CompiledJsonata {
  readonly expression: jsonata.Expression;
  /** Number literals of the expression, so a copied input number cannot be confused with one. */
  readonly literals: readonly number[];
  /** Whether the expression reads `$original` (the original body is parsed only then). */
  readonly usesOriginal: boolean;
}

function collectLiterals(node: unknown, out: number[], seen = new Set<unknown>()): void {
  if (typeof node !== 'object' || node === null || seen.has(node)) return;
  seen.add(node);
  const record = node as Record<string, unknown>;
  if (record.type === 'number' && typeof record.value === 'number') out.push(record.value);
  for (const child of Object.values(record)) collectLiterals(child, out, seen);
}

/**
 * Compiles a JSONata expression (at boot). A syntax error throws `code` (JCT_CONFIG_INVALID for
 * an inline expression, JCT_CONFIG_REFERENCE for a file) naming `where`, the line and column.
 */
export function compileJsonata(source: string, where: string, code: 'JCT_CONFIG_INVALID' | 'JCT_CONFIG_REFERENCE'): CompiledJsonata {
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source);
  } catch (error) {
    const failure = error as JsonataFailure;
    const at = typeof failure.position === 'number' ? lineAndColumn(source, failure.position - 1) : undefined;
    const position = at ? ` at line ${at.line}, column ${at.column}` : '';
    throw new JunctionError(code, `${where} has a syntax error${position} (${failure.code ?? 'JSONata'}): ${failure.message ?? String(error)}`, { cause: error });
  }
  const literals: number[] = [];
  collectLiterals(expression.ast(), literals);
  return { expression, literals, usesOriginal: source.includes('$original') };
}

/**
 * `type: jsonata` — evaluates a JSONata expression on the JSON body; the result (an object or
 * array) becomes the new JSON body. `$original` is the body the route received (parsed JSON, or
 * its text when it is not JSON) and `$headers` the message headers. Numbers keep their source
 * text when copied (see {@link NumberTexts}); arithmetic is JavaScript double precision.
 */
export class JsonataStep implements Step {
  constructor(readonly name: string, private readonly compiled: CompiledJsonata) {}

  async run(message: Envelope, context: StepContext): Promise<Envelope> {
    const texts = new NumberTexts();
    const parseNumber = (text: string): number => texts.read(text);
    let input: unknown;
    try {
      input = parseLossless(message.body, null, parseNumber);
    } catch (error) {
      throw this.failure(`the body is not valid JSON (${(error as Error).message})`, error);
    }
    const bindings: Record<string, unknown> = { headers: { ...message.headers } };
    if (this.compiled.usesOriginal) {
      const original = context.original;
      if (!original || original === message || original.body === message.body) bindings.original = input;
      else {
        try {
          bindings.original = parseLossless(original.body, null, parseNumber);
        } catch {
          bindings.original = original.body;
        }
      }
    }
    for (const literal of this.compiled.literals) texts.note(literal, String(literal));

    let result: unknown;
    try {
      result = await this.compiled.expression.evaluate(input, bindings);
    } catch (error) {
      const failure = error as JsonataFailure;
      const where = [failure.code, typeof failure.position === 'number' ? `position ${failure.position}` : undefined].filter(Boolean).join(' at ');
      throw this.failure(`the JSONata expression failed${where ? ` (${where})` : ''}: ${failure.message ?? String(error)}`, error);
    }
    if (result === undefined) throw this.failure('the JSONata expression produced no result (nothing in the message matched it).');
    if (typeof result !== 'object' || result === null) {
      throw this.failure(`the JSONata expression produced ${result === null ? 'null' : `a ${typeof result}`}; it must produce an object or an array.`);
    }
    const body = String(stringifyLossless(this.exact(result, texts, '')));
    return withChanges(message, { body, contentType: 'application/json' });
  }

  private failure(what: string, cause?: unknown): JunctionError {
    return new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}": ${what}`, cause === undefined ? {} : { cause });
  }

  /** A plain copy of JSONata's result with input numbers given back their source text. */
  private exact(value: unknown, texts: NumberTexts, at: string): unknown {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      const text = texts.textOf(value);
      if (typeof text === 'string') return new LosslessNumber(text);
      if (text !== undefined) {
        throw this.failure(`the result's number at "${at || '/'}" stands for more than one different input number (${text.ambiguous.join(', ')}), `
          + 'which JavaScript numbers cannot tell apart; pass such values as strings.');
      }
      if (!Number.isFinite(value)) throw this.failure(`the result's number at "${at || '/'}" is not finite (${value}).`);
      return value;
    }
    if (typeof value === 'function' || (typeof value === 'object' && (value as Record<string, unknown>)._jsonata_lambda)) {
      throw this.failure(`the result holds a function at "${at || '/'}"; functions cannot be written as JSON.`);
    }
    if (Array.isArray(value)) return value.map((item: unknown, i) => this.exact(item, texts, `${at}/${i}`)).filter((item) => item !== undefined);
    if (typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        const converted = child === undefined ? undefined : this.exact(child, texts, `${at}/${key}`);
        if (converted !== undefined) Object.defineProperty(out, key, { value: converted, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return undefined;
  }
}

/** `type: jsonata` with `expression: <inline>` or `file: <path relative to the config>`. */
export const jsonataFactory: StepFactory = {
  type: 'jsonata',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    oneOf: [{ required: ['expression'] }, { required: ['file'] }],
    properties: {
      expression: { type: 'string', minLength: 1 },
      file: { type: 'string', minLength: 1 },
    },
  },
  create: (name, options, context) => {
    if (typeof options.file === 'string') {
      const file = path.resolve(context.baseDir, options.file);
      return new JsonataStep(name, compileJsonata(readReferencedFile(file, 'JSONata file'), `JSONata file ${file}`, 'JCT_CONFIG_REFERENCE'));
    }
    return new JsonataStep(name, compileJsonata(String(options.expression), `The JSONata expression of step "${name}"`, 'JCT_CONFIG_INVALID'));
  },
};
