import { JunctionError } from '../../core/errors';
import type { Masker } from './masker';

/**
 * The same error with sensitive data masked in its message, violations and details: `values`
 * (what the message holds at sensitive paths, from {@link Masker.sensitiveValues}) wherever they
 * are quoted, and sensitive fields and card numbers by shape. Status, code, retryable flag and
 * cause are kept.
 */
export function maskJunctionError(error: JunctionError, masker: Masker, values: readonly string[]): JunctionError {
  const plain = masker.redactError(error.toJSON(), values);
  if (plain.message === error.message && JSON.stringify(plain) === JSON.stringify(error.toJSON())) return error;
  return new JunctionError(error.code, plain.message, {
    retryable: error.retryable,
    ...(plain.violations ? { violations: plain.violations } : {}),
    ...(plain.details ? { details: { ...plain.details } } : {}),
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
  });
}
