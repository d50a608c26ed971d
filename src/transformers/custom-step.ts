import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Envelope } from '../core/envelope';
import { JunctionError } from '../core/errors';
import { isErrorCode } from '../core/error-catalogue';
import type { Step, StepBuildContext, StepContext, StepFactory } from '../core/step';

/**
 * What a custom step module exports (CommonJS: a compiled `.js` or a `.cjs`). A TypeScript author
 * writes `export function createStep(...)` with the types from Junction's `src/core/step`.
 * Called once at boot; throw a JunctionError (JCT_CONFIG_INVALID) for bad options.
 */
export type CreateCustomStep = (name: string, options: unknown, context: StepBuildContext) => Step;

/**
 * A JunctionError thrown by module code, recognised even when the module loaded its own copy of
 * Junction (then `instanceof` fails but the name and a catalogue code are there).
 */
function asJunctionError(error: unknown): JunctionError | undefined {
  if (error instanceof JunctionError) return error;
  const candidate = error as { name?: unknown; code?: unknown; message?: unknown; retryable?: unknown } | null;
  if (candidate && candidate.name === 'JunctionError' && isErrorCode(candidate.code) && typeof candidate.message === 'string') {
    return new JunctionError(candidate.code, candidate.message, {
      ...(typeof candidate.retryable === 'boolean' ? { retryable: candidate.retryable } : {}),
      cause: error,
    });
  }
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `type: custom` — runs a step written in JavaScript/TypeScript, loaded with `require` at boot.
 * The module's JunctionErrors pass through unchanged; anything else it throws becomes a
 * permanent JCT_TRANSFORM_FAILED naming the step and the module.
 */
export class CustomStep implements Step {
  constructor(readonly name: string, private readonly module: string, private readonly inner: Step) {}

  async run(message: Envelope, context: StepContext): Promise<Envelope> {
    let result: unknown;
    try {
      result = await this.inner.run(message, context);
    } catch (error) {
      throw asJunctionError(error) ?? this.failure(describe(error), error);
    }
    const envelope = result as Partial<Envelope> | null | undefined;
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.body !== 'string' || typeof envelope.contentType !== 'string') {
      throw this.failure('it did not return a message (an envelope with a text body and a content type)');
    }
    if (envelope.id !== message.id) throw this.failure('it changed the message id; return withChanges(message, { … }) or { ...message, … }');
    return Object.freeze({ ...(envelope as Envelope) });
  }

  /** Passes the module step's optional boot preparation through. */
  async ready(): Promise<void> {
    await (this.inner as { ready?: () => Promise<void> }).ready?.();
  }

  /** Passes the module step's optional clean-up through. */
  async close(): Promise<void> {
    await (this.inner as { close?: () => Promise<void> }).close?.();
  }

  private failure(what: string, cause?: unknown): JunctionError {
    return new JunctionError('JCT_TRANSFORM_FAILED', `Step "${this.name}" (custom module ${this.module}) failed: ${what}`, cause === undefined ? {} : { cause });
  }
}

/** Loads `module` (relative to the config directory) and builds its step; every failure is a boot error. */
export function loadCustomStep(name: string, module: string, options: unknown, context: StepBuildContext): CustomStep {
  const file = path.resolve(context.baseDir, module);
  const where = `Step "${name}": custom module ${module} (${file})`;
  if (!existsSync(file)) throw new JunctionError('JCT_CONFIG_REFERENCE', `${where} does not exist; a compiled .js or a .cjs file is expected.`);
  let exported: unknown;
  try {
    exported = require(file) as unknown;
  } catch (error) {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `${where} cannot be loaded: ${describe(error)}`, { cause: error });
  }
  const createStep = (exported as { createStep?: unknown } | null)?.createStep;
  if (typeof createStep !== 'function') {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `${where} does not export a function createStep(name, options, context).`);
  }
  let step: unknown;
  try {
    step = (createStep as CreateCustomStep)(name, options, context);
  } catch (error) {
    throw asJunctionError(error) ?? new JunctionError('JCT_CONFIG_INVALID', `${where}: createStep failed: ${describe(error)}`, { cause: error });
  }
  if (typeof (step as Partial<Step> | null)?.run !== 'function') {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `${where}: createStep did not return a step (an object with run(message, context)).`);
  }
  return new CustomStep(name, module, step as Step);
}

/** `type: custom` with `module: <path relative to the config>` and free-form `options`. */
export const customStepFactory: StepFactory = {
  type: 'custom',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['module'],
    properties: {
      module: { type: 'string', minLength: 1 },
      options: { type: 'object', default: {} },
    },
  },
  create: (name, options, context) => loadCustomStep(name, String(options.module), structuredClone(options.options ?? {}), context),
};
