import winston from 'winston';

/** Structured fields attached to a log line (message id, route id, ...). */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** The logging surface every module uses; winston underneath. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Log options from configuration. */
export interface LoggerOptions {
  readonly level: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly format: 'json' | 'text';
}

class WinstonLogger implements Logger {
  constructor(private readonly inner: winston.Logger) {}
  debug(message: string, fields?: LogFields): void { this.inner.debug(message, fields); }
  info(message: string, fields?: LogFields): void { this.inner.info(message, fields); }
  warn(message: string, fields?: LogFields): void { this.inner.warn(message, fields); }
  error(message: string, fields?: LogFields): void { this.inner.error(message, fields); }
  child(fields: LogFields): Logger { return new WinstonLogger(this.inner.child(fields)); }
}

/** Creates the process logger: JSON lines (production) or short text lines (demo), on stdout. */
export function createLogger(options: LoggerOptions): Logger {
  const format = options.format === 'json'
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(
      winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
      winston.format.printf(({ timestamp, level, message, ...rest }) => {
        const extra = Object.entries(rest)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${String(v)}`).join(' ');
        return `${String(timestamp)} ${level.padEnd(5)} ${String(message)}${extra ? ` ${extra}` : ''}`;
      }),
    );
  return new WinstonLogger(winston.createLogger({
    level: options.level === 'silent' ? 'error' : options.level,
    silent: options.level === 'silent',
    format,
    transports: [new winston.transports.Console()],
  }));
}

/** A logger that drops everything; for tests and tools. */
export const silentLogger: Logger = createLogger({ level: 'silent', format: 'json' });
