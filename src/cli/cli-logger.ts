import type { LogFields, Logger } from '../core/logger';

/** Log levels in order; a logger shows its level and above. */
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** How much a {@link CliLogger} writes. */
export interface CliLoggerOptions {
  /** Lowest level written (default `warn`; `--verbose` gives `debug`). */
  readonly level?: (typeof LEVELS)[number];
  /** Write error lines too (default true); a command that reports them itself turns this off. */
  readonly echoErrors?: boolean;
}

/**
 * The logger the CLI gives the app, steps and endpoints: short lines on stderr (stdout carries
 * the command's result, which may be JSON), warnings and errors only unless `--verbose`. Keeps
 * every error line, so a command can report problems that are only logged (a SOAP service's
 * schemas that do not compile).
 */
export class CliLogger implements Logger {
  readonly errors: string[];

  constructor(
    private readonly write: (line: string) => void,
    private readonly options: CliLoggerOptions = {},
    private readonly fields: LogFields = {},
    errors?: string[],
  ) {
    this.errors = errors ?? [];
  }

  debug(message: string, fields?: LogFields): void { this.log('debug', message, fields); }
  info(message: string, fields?: LogFields): void { this.log('info', message, fields); }
  warn(message: string, fields?: LogFields): void { this.log('warn', message, fields); }
  error(message: string, fields?: LogFields): void { this.log('error', message, fields); }

  child(fields: LogFields): Logger {
    return new CliLogger(this.write, this.options, { ...this.fields, ...fields }, this.errors);
  }

  private log(level: (typeof LEVELS)[number], message: string, fields: LogFields = {}): void {
    const all = { ...this.fields, ...fields };
    const extra = Object.entries(all).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`).join(' ');
    const line = `${message}${extra ? ` (${extra})` : ''}`;
    if (level === 'error') {
      this.errors.push(line);
      if (this.options.echoErrors === false) return;
    }
    if (LEVELS.indexOf(level) >= LEVELS.indexOf(this.options.level ?? 'warn')) this.write(`junction: ${level}: ${line}\n`);
  }
}
