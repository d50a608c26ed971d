/** A SOAP 1.1 fault code the simulated ERP can be told to answer with. */
export type ErpFaultCode = 'Client' | 'Server';

/** How the simulated ERP misbehaves. Only SOAP calls (`POST /erp/soap`) are affected, except `down`. */
export interface ErpBehaviour {
  /**
   * Answer every call with a SOAP fault of this code (HTTP 500); null = behave normally.
   * `Client` means "your data is wrong" (permanent), `Server` "try again later".
   */
  faultCode: ErpFaultCode | null;
  /**
   * Answer the next N calls with a fault of code `faultCode ?? 'Server'`, then recover: when the
   * countdown reaches 0, `faultCode` is cleared too (so `{ faultCode: 'Client', failNext: 2 }`
   * means "two Client faults, then OK").
   */
  failNext: number;
  /** Wait this long before handling the call (a slow link: nothing is applied yet). */
  delayMs: number;
  /** Apply and record the call, then wait this long before answering (a backend that times out). */
  applyThenDelayMs: number;
  /** Destroy the socket without answering, for SOAP calls and `?wsdl` alike. */
  down: boolean;
}

export const DEFAULT_BEHAVIOUR: Readonly<ErpBehaviour> = Object.freeze({
  faultCode: null,
  failNext: 0,
  delayMs: 0,
  applyThenDelayMs: 0,
  down: false,
});

/** Longest delay accepted, so a typo cannot hang a test run for days. */
export const MAX_DELAY_MS = 600_000;

/** A behaviour patch that does not fit {@link ErpBehaviour}; lists every problem. */
export class BehaviourValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid ERP behaviour: ${problems.join('; ')}`);
    this.name = 'BehaviourValidationError';
  }
}

type Check = (value: unknown) => string | null;

const isInt = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

const CHECKS: Record<keyof ErpBehaviour, Check> = {
  faultCode: (v) => (v === null || v === 'Client' || v === 'Server' ? null : 'must be "Client", "Server" or null'),
  failNext: (v) => (isInt(v, 0, Number.MAX_SAFE_INTEGER) ? null : 'must be a non-negative integer'),
  delayMs: (v) => (isInt(v, 0, MAX_DELAY_MS) ? null : `must be an integer 0-${MAX_DELAY_MS}`),
  applyThenDelayMs: (v) => (isInt(v, 0, MAX_DELAY_MS) ? null : `must be an integer 0-${MAX_DELAY_MS}`),
  down: (v) => (typeof v === 'boolean' ? null : 'must be a boolean'),
};

function isBehaviourKey(key: string): key is keyof ErpBehaviour {
  return Object.hasOwn(CHECKS, key);
}

/**
 * Checks a partial behaviour (from code or from JSON) and returns a copy without undefined
 * values; throws BehaviourValidationError listing every problem.
 */
export function validateBehaviourPatch(input: unknown): Partial<ErpBehaviour> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new BehaviourValidationError(['expected an object']);
  }
  const problems: string[] = [];
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!isBehaviourKey(key)) {
      problems.push(`unknown key "${key}"`);
      continue;
    }
    const problem = CHECKS[key](value);
    if (problem === null) patch[key] = value;
    else problems.push(`${key} ${problem}`);
  }
  if (problems.length > 0) throw new BehaviourValidationError(problems);
  return patch as Partial<ErpBehaviour>;
}
