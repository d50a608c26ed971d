import { styleText } from 'node:util';
import { CLI_EXIT } from './exit-codes';

/** Text styles the CLI uses; plain text when colours are off. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';

/**
 * Where a command writes: stdout for results, stderr for problems. Colours only on a terminal
 * (and never with NO_COLOR set), so piped output and files stay plain text.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** `text` in `style` when colours are on, else as is. */
  style(style: Style, text: string): string;
}

/** The process's stdout and stderr. */
export function processIo(env: NodeJS.ProcessEnv = process.env): CliIo {
  const colour = process.stdout.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  return {
    out: (text) => { process.stdout.write(text); },
    err: (text) => { process.stderr.write(text); },
    style: (style, text) => (colour ? styleText(style, text) : text),
  };
}

/**
 * Ends the process quietly when the reader of `stream` goes away (`junction messages list --all |
 * head -1`): Node reports the closed pipe as an EPIPE 'error' on the stream, which unhandled
 * prints a stack trace and exits 1. The reader took what it wanted and nobody is left to read the
 * rest, so stop at once (no more pages fetched) with 0, CLI_EXIT.OK: the usual convention for a
 * closed pipe, and the command did not fail. Any other write error is a real problem and stays loud.
 */
export function stopQuietlyOnClosedPipe(stream: NodeJS.EventEmitter, exit: (code: number) => void = (code) => process.exit(code)): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    exit(CLI_EXIT.OK);
  });
}

/** An in-memory CliIo (tests). */
export class BufferedIo implements CliIo {
  stdout = '';
  stderr = '';
  out(text: string): void { this.stdout += text; }
  err(text: string): void { this.stderr += text; }
  style(_style: Style, text: string): string { return text; }
}
