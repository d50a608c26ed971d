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

/** Masks sensitive data in log lines (security/masking's Masker fits; core does not depend on it). */
export interface LogRedactor {
  /** Free text with sensitive fields and card numbers masked. */
  maskText(text: string): string;
  /** True when a field of this name holds a secret (its value is masked whole). */
  isSensitiveName(name: string): boolean;
  readonly mask: string;
}

/** Log options from configuration. */
export interface LoggerOptions {
  readonly level: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly format: 'json' | 'text';
  /** Applied to the message and every string field of every line. */
  readonly redactor?: LogRedactor;
}

/** Field names whose values are never logged, whatever the masking settings say. */
const ALWAYS_SECRET = /^(authorization|cookie|set-cookie|password|passwd|secret|token|apikey|api_key|x-api-key)$/i;

/** True for a field or header name whose value is a secret whatever the masking settings say (authorization, cookie, token, ...). */
export function isSecretName(name: string): boolean {
  return ALWAYS_SECRET.test(name);
}

/**
 * Makes a value safe for one log line: CR, LF and every other control character (C0, DEL, C1,
 * and the Unicode line and paragraph separators) are written as visible escapes, so nothing a
 * caller sends can start a new, forged line or drive a terminal.
 */
export function neutralize(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

const SKIP = new Set(['level', 'timestamp']);

/** The winston format that neutralises (and, with a redactor, masks) every string of a line. */
function sanitizeFormat(redactor: LogRedactor | undefined) {
  return winston.format((info) => {
    const record = info as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (SKIP.has(key)) continue;
      const value = record[key];
      if (typeof value !== 'string') continue;
      if (key !== 'message' && (ALWAYS_SECRET.test(key) || redactor?.isSensitiveName(key))) {
        record[key] = redactor?.mask ?? '****';
        continue;
      }
      record[key] = neutralize(redactor ? redactor.maskText(value) : value);
    }
    return info;
  })();
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
  const sanitize = sanitizeFormat(options.redactor);
  const format = options.format === 'json'
    ? winston.format.combine(sanitize, winston.format.timestamp(), winston.format.json())
    : winston.format.combine(
      sanitize,
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
