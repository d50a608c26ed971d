/**
 * Waiting for work whose speed depends on the machine. A fixed deadline is wrong both ways: too
 * short for a 2-core CI machine shared with other suites (a stream that is slow, not stuck, fails),
 * too long to say quickly that something is stuck. These waits go on as long as the work moves and
 * fail once it has not moved for `stallMs`.
 */

/** How {@link untilDone} waits. */
export interface ProgressWait {
  /** What is awaited, for the error message (e.g. "every accepted message settled"). */
  readonly what: string;
  /** Fails once `progress` has not changed for this long. */
  readonly stallMs: number;
  /** Poll interval (default 200 ms). */
  readonly everyMs?: number;
}

/** Thrown by {@link untilDone}: nothing moved for `stallMs`. */
export class StalledError extends Error {
  constructor(readonly what: string, readonly stallMs: number, readonly lastProgress: string) {
    super(`${what}: no progress for ${stallMs} ms (last seen: ${lastProgress})`);
    this.name = 'StalledError';
  }
}

/**
 * Polls `probe` until it returns a value and resolves with it. `progress` describes the state of
 * the work in a string (counts, say) that changes whenever it moves; the wait fails with
 * {@link StalledError} when it has stayed the same for `stallMs`. A probe that throws ends the wait.
 */
export async function untilDone<T>(probe: () => Promise<T | undefined>, progress: () => string | Promise<string>, options: ProgressWait): Promise<T> {
  const everyMs = options.everyMs ?? 200;
  let last = await progress();
  let movedAt = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const now = await progress();
    if (now !== last) {
      last = now;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > options.stallMs) {
      throw new StalledError(options.what, options.stallMs, now);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
