import type { JunctionError } from '../../src/core/errors';

/** Awaits a promise that must reject and returns what it rejected with, as a JunctionError. */
export async function rejection(promise: Promise<unknown>): Promise<JunctionError> {
  try {
    await promise;
  } catch (error) {
    return error as JunctionError;
  }
  throw new Error('expected a rejection');
}
