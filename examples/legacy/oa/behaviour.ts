/** How the simulated OA backend misbehaves. Only `POST /oa/approvals` is affected. */
export interface OaBehaviour {
  /** Answer this status (400-599) to every request; null = behave normally. */
  failStatus: number | null;
  /**
   * Answer `failStatus ?? 500` to the next N requests, then recover: when the countdown
   * reaches 0, `failStatus` is cleared too (so `{ failStatus: 503, failNext: 2 }` means
   * "two 503s, then OK").
   */
  failNext: number;
  /** Wait this long before handling the request (a slow link: nothing is applied yet). */
  delayMs: number;
  /** Record the message as applied, then wait this long before answering (a backend that times out). */
  applyThenDelayMs: number;
  /** Destroy the socket without answering. */
  down: boolean;
  /**
   * Behave like a backend that honours X-Junction-Message-Id: a message id applied before is
   * answered with the first answer and not applied again (counted as `deduplicated`).
   */
  dedupeById: boolean;
}

export const DEFAULT_BEHAVIOUR: Readonly<OaBehaviour> = Object.freeze({
  failStatus: null,
  failNext: 0,
  delayMs: 0,
  applyThenDelayMs: 0,
  down: false,
  dedupeById: false,
});

/** Longest delay accepted, so a typo cannot hang a test run for days. */
export const MAX_DELAY_MS = 600_000;

export class BehaviourValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid OA behaviour: ${problems.join('; ')}`);
    this.name = 'BehaviourValidationError';
  }
}

type Check = (value: unknown) => string | null;

const isInt = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

const CHECKS: Record<keyof OaBehaviour, Check> = {
  failStatus: (v) => (v === null || isInt(v, 400, 599) ? null : 'must be null or an integer status 400-599'),
  failNext: (v) => (isInt(v, 0, Number.MAX_SAFE_INTEGER) ? null : 'must be a non-negative integer'),
  delayMs: (v) => (isInt(v, 0, MAX_DELAY_MS) ? null : `must be an integer 0-${MAX_DELAY_MS}`),
  applyThenDelayMs: (v) => (isInt(v, 0, MAX_DELAY_MS) ? null : `must be an integer 0-${MAX_DELAY_MS}`),
  down: (v) => (typeof v === 'boolean' ? null : 'must be a boolean'),
  dedupeById: (v) => (typeof v === 'boolean' ? null : 'must be a boolean'),
};

function isBehaviourKey(key: string): key is keyof OaBehaviour {
  return Object.hasOwn(CHECKS, key);
}

/**
 * Checks a partial behaviour (from code or from JSON) and returns a copy without undefined
 * values; throws BehaviourValidationError listing every problem.
 */
export function validateBehaviourPatch(input: unknown): Partial<OaBehaviour> {
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
  return patch as Partial<OaBehaviour>;
}
