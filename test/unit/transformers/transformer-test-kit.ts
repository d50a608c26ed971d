import path from 'node:path';
import { expect } from 'chai';
import { createEnvelope, type Envelope } from '../../../src/core/envelope';
import { JunctionError } from '../../../src/core/errors';
import { silentLogger, type LogFields, type Logger } from '../../../src/core/logger';
import type { Step, StepContext, StepFactory } from '../../../src/core/step';
import { checkOptions } from '../../../src/routes/option-check';

/** The transformer fixtures (test/fixtures/transformers), absolute. */
export const FIXTURES = path.resolve('test/fixtures/transformers');

/** A fresh message with `body`. */
export function message(body: string, contentType = 'application/json', headers: Record<string, string> = {}): Envelope {
  return createEnvelope({ routeId: 'r', pattern: 'one-way', source: 'test', contentType, body, headers });
}

/** A step context with a silent logger (and the original message, for reply steps). */
export function stepContext(original?: Envelope, logger: Logger = silentLogger): StepContext {
  return { routeId: 'r', logger, ...(original ? { original } : {}) };
}

/**
 * Builds a step the way boot does: options checked against the factory's schema (defaults
 * filled in), then `create`. Option problems throw as an Error listing them.
 */
export function build(factory: StepFactory, options: Record<string, unknown>, baseDir = FIXTURES, name = 'step-under-test'): Step {
  const checked = checkOptions(factory.optionsSchema, options, [], []);
  if (checked.problems.length > 0) throw new Error(`options refused: ${checked.problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}`);
  return factory.create(name, checked.value, { baseDir });
}

/** The option problems the factory's schema finds, as `path: message` strings. */
export function optionProblems(factory: StepFactory, options: Record<string, unknown>): string[] {
  return checkOptions(factory.optionsSchema, options, [], []).problems.map((p) => `${p.path.join('.')}: ${p.message}`);
}

/** The JunctionError a promise rejects with (fails the test when it resolves). */
export async function failure(promise: Promise<unknown>): Promise<JunctionError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error, 'expected a JunctionError').to.be.instanceOf(JunctionError);
  return error as JunctionError;
}

/** The JunctionError a boot-time call throws. */
export function bootFailure(build: () => unknown): JunctionError {
  try {
    build();
  } catch (error) {
    expect(error, 'expected a JunctionError').to.be.instanceOf(JunctionError);
    return error as JunctionError;
  }
  throw new Error('expected a boot error');
}

/** Asserts a permanent transformation failure naming the step; returns its message. */
export async function transformFailure(promise: Promise<unknown>, stepName: string): Promise<string> {
  const error = await failure(promise);
  expect(error.code).to.equal('JCT_TRANSFORM_FAILED');
  expect(error.retryable).to.equal(false);
  expect(error.message).to.contain(`"${stepName}"`);
  return error.message;
}

/** A logger that keeps every line, for asserting what a step logged. */
export class RecordingLogger implements Logger {
  constructor(readonly lines: { level: string; message: string; fields?: LogFields }[] = []) {}
  debug(message: string, fields?: LogFields): void { this.lines.push({ level: 'debug', message, ...(fields ? { fields } : {}) }); }
  info(message: string, fields?: LogFields): void { this.lines.push({ level: 'info', message, ...(fields ? { fields } : {}) }); }
  warn(message: string, fields?: LogFields): void { this.lines.push({ level: 'warn', message, ...(fields ? { fields } : {}) }); }
  error(message: string, fields?: LogFields): void { this.lines.push({ level: 'error', message, ...(fields ? { fields } : {}) }); }
  child(): Logger { return this; }
}
