import { describeError } from '../core/errors';
import type { CliIo } from './cli-io';
import { CLI_EXIT, CliStop } from './exit-codes';

/**
 * Runs a command's body and turns what it throws into an exit code: a CliStop prints its
 * message on stderr (no stack) with its code; anything else is unexpected — exit 1 with the
 * error's message. With `json`, a stop also prints `{"ok":false,...}` on stdout so a script
 * reading stdout always gets one JSON document.
 */
export async function runCommand(io: CliIo, json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const stop = error instanceof CliStop;
    const exitCode = stop ? error.exitCode : CLI_EXIT.FAILED;
    const message = stop ? error.message : `unexpected error: ${describeError(error)}`;
    io.err(`junction: ${message}\n`);
    if (json) io.out(failureDocument(exitCode, message));
    return exitCode;
  }
}

/**
 * The one JSON document `--json` prints on stdout when a command stops (`{"ok":false,...}`,
 * docs/cli.md): the same shape for every stop, so a script needs one parser whatever went wrong.
 */
export function failureDocument(exitCode: number, message: string): string {
  return `${JSON.stringify({ ok: false, exitCode, error: message }, null, 2)}\n`;
}
