import { expect } from 'chai';
import { JunctionError } from '../../src/core/errors';

/** The error of class `type` (a JunctionError unless told) that `fn` throws; fails the test when it throws something else or nothing. */
export function thrownBy<T extends Error = JunctionError>(fn: () => unknown, type: abstract new (...args: never[]) => T = JunctionError as unknown as abstract new (...args: never[]) => T): T {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as T;
  }
  throw new Error(`expected a ${type.name}, but nothing was thrown`);
}
