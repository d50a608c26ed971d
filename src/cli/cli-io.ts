import { styleText } from 'node:util';

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

/** An in-memory CliIo (tests). */
export class BufferedIo implements CliIo {
  stdout = '';
  stderr = '';
  out(text: string): void { this.stdout += text; }
  err(text: string): void { this.stderr += text; }
  style(_style: Style, text: string): string { return text; }
}
