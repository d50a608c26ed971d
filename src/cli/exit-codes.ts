/**
 * Exit codes of the `junction` command (documented in docs/cli.md): scripts and CI branch on
 * them, so they never change meaning.
 */
export const CLI_EXIT = {
  /** The command did what was asked: the configuration is valid, the route test passed. */
  OK: 0,
  /** The check or test ran and failed: a step refused the sample, an endpoint could not be reached. */
  FAILED: 1,
  /** Configuration or usage error: a bad file, an unknown route, a wrong option. Nothing ran. */
  USAGE: 2,
  /** Operator commands: the token is missing or wrong (401), or its role is too weak (403). */
  AUTH: 3,
  /** Operator commands: no such message or replay job (404). */
  NOT_FOUND: 4,
  /** Operator commands: Junction could not be reached, or answered 5xx (retry later). */
  UNAVAILABLE: 5,
} as const;

/** One of {@link CLI_EXIT}'s values. */
export type CliExitCode = (typeof CLI_EXIT)[keyof typeof CLI_EXIT];

/**
 * Thrown by a command to stop with a message on stderr and an exit code (a usage or
 * configuration problem found before anything ran). The message is for people: no stack.
 */
export class CliStop extends Error {
  constructor(readonly exitCode: CliExitCode, message: string) {
    super(message);
    this.name = 'CliStop';
  }
}

/** `error` as a {@link CliStop} with `exitCode`, its message kept (any thrown value). */
export function stopWith(exitCode: CliExitCode, error: unknown): CliStop {
  return new CliStop(exitCode, error instanceof Error ? error.message : String(error));
}
