import type { LogFields, Logger } from '../../../src/core/logger';

/** One captured log line. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** A Logger that keeps every line in memory, so tests can assert on what was logged. */
export class RecordingLogger implements Logger {
  constructor(readonly lines: LogLine[] = [], private readonly bound: LogFields = {}) {}

  debug(message: string, fields?: LogFields): void { this.add('debug', message, fields); }
  info(message: string, fields?: LogFields): void { this.add('info', message, fields); }
  warn(message: string, fields?: LogFields): void { this.add('warn', message, fields); }
  error(message: string, fields?: LogFields): void { this.add('error', message, fields); }
  child(fields: LogFields): Logger { return new RecordingLogger(this.lines, { ...this.bound, ...fields }); }

  /** Every line as one text, to search for things that must never appear (passwords). */
  text(): string {
    return this.lines.map((line) => `${line.level} ${line.message} ${JSON.stringify(line.fields)}`).join('\n');
  }

  private add(level: LogLine['level'], message: string, fields: LogFields = {}): void {
    this.lines.push({ level, message, fields: { ...this.bound, ...fields } });
  }
}
