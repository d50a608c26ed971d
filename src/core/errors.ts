import { ERROR_CATALOGUE, isErrorCode, type ErrorCode } from './error-catalogue';

/** One problem found in an input, e.g. a schema violation: where it is and what is wrong. */
export interface Violation {
  /** JSON pointer / path of the offending value ('' for the whole document). */
  readonly path: string;
  /** What is wrong, phrased so a person can act on it. */
  readonly message: string;
}

/**
 * The plain form of a {@link JunctionError}: what the transaction log stores, the bus carries and
 * the admin API shows. Never holds a stack trace.
 */
export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly violations?: readonly Violation[];
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** Options when raising a {@link JunctionError}. */
export interface JunctionErrorOptions {
  readonly violations?: readonly Violation[];
  readonly details?: Record<string, string | number | boolean>;
  /** Overrides the catalogue's retryable flag (rarely right; say why where you use it). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

/**
 * Every error Junction raises on purpose. The code is stable and documented in docs/errors.md;
 * `retryable` decides retry versus FAILED.
 */
export class JunctionError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly violations: readonly Violation[];
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: ErrorCode, message: string, options: JunctionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec = ERROR_CATALOGUE[code];
    this.name = 'JunctionError';
    this.code = code;
    this.httpStatus = spec.httpStatus;
    this.retryable = options.retryable ?? spec.retryable;
    this.violations = Object.freeze([...(options.violations ?? [])]);
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** The plain form, safe to store, send and show. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.violations.length > 0 ? { violations: this.violations } : {}),
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
    };
  }

  /** Rebuilds an error from its plain form (from the log or the bus). Unknown codes become JCT_INTERNAL. */
  static fromJSON(plain: SerializedError): JunctionError {
    const code = isErrorCode(plain.code) ? plain.code : 'JCT_INTERNAL';
    return new JunctionError(code, plain.message, {
      retryable: plain.retryable,
      ...(plain.violations ? { violations: plain.violations } : {}),
      ...(plain.details ? { details: { ...plain.details } } : {}),
    });
  }
}

/**
 * Turns anything thrown into a JunctionError. Foreign errors become JCT_INTERNAL with a generic
 * message: their text may carry internals (SQL, file paths) that callers must not see; log the
 * original where you call this.
 */
export function toJunctionError(error: unknown): JunctionError {
  if (error instanceof JunctionError) return error;
  return new JunctionError('JCT_INTERNAL', 'An internal error occurred; see the Junction log for details.', {
    cause: error,
  });
}

/** A short description of any thrown value for logs (message only, never the stack). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
