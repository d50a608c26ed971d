/**
 * Quoting of long text values for the group commit's SQL (group-commit.ts), where payloads of
 * 100 KB and more are escaped into the statement text.
 *
 * mysql2's escaper (sql-escaper) escapes nine characters, `"` among them, and walks the rest of
 * the string character by character from the first one it finds — in a JSON body that is nearly
 * the first character, and every quote cuts the text into another piece to concatenate. Inside a
 * single-quoted MySQL/MariaDB string literal only the quote itself and the backslash have to be
 * escaped (NUL is escaped too, as the mysql client expects); the other escapes sql-escaper writes
 * (`\n`, `\"`, …) stand for the very characters they replace. So the stored value is the same,
 * and for a body with neither `'` nor `\` the literal is one native scan and a concatenation.
 *
 * Like mysql2's own escaping with the pools' settings, this assumes the session does not run with
 * `NO_BACKSLASH_ESCAPES` (Junction never sets it) and a character set with no multi-byte
 * encodings that contain `\` or `'` (utf8mb4, the pools' charset).
 */

/** Strings shorter than this go through mysql2's escaper as before: nothing to gain. */
export const LONG_TEXT = 256;

const MUST_ESCAPE = /[\0'\\]/g;

function escapeOne(character: string): string {
  return character === '\0' ? '\\0' : `\\${character}`;
}

/** `text` as a single-quoted MySQL string literal (backslash escapes on). */
export function quoteText(text: string): string {
  MUST_ESCAPE.lastIndex = 0;
  if (!MUST_ESCAPE.test(text)) return `'${text}'`;
  return `'${text.replace(MUST_ESCAPE, escapeOne)}'`;
}

/** A value mysql2's formatter writes as it is (its `toSqlString` hook). */
interface SqlLiteral {
  toSqlString(): string;
}

/**
 * The statement's values with every long string (at any depth of the arrays a multi-row INSERT
 * passes) replaced by its literal, quoted by {@link quoteText}; everything else is left to mysql2.
 */
export function withQuotedLongText(values: readonly unknown[]): unknown[] {
  return values.map(quoteLong);
}

function quoteLong(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.length < LONG_TEXT) return value;
    const literal: SqlLiteral = { toSqlString: () => quoteText(value) };
    return literal;
  }
  return Array.isArray(value) ? value.map(quoteLong) : value;
}
