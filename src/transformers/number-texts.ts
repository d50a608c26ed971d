/**
 * Remembers the source text of every number read from JSON, keyed by the JavaScript number it
 * was read as. Engines that compute on JS numbers (JSONata) get plain numbers; a number in their
 * result that is exactly one read from the input is written back with its source text, so
 * `250.00` stays `250.00` and a 25-digit decimal keeps every digit when it is copied. A number the
 * engine computed is written as JavaScript prints it.
 *
 * Two inputs can differ beyond double precision yet read as the same JS number; such a number is
 * ambiguous, and writing it fails rather than picking one (see {@link NumberTexts.textOf}).
 */
export class NumberTexts {
  private readonly byValue = new Map<number, { text: string; exact: string; others: string[] }>();

  /** Records `text` and returns the JS number an engine computes with (use as a JSON number parser). */
  read(text: string): number {
    const value = Number(text);
    this.note(value, text);
    return value;
  }

  /**
   * Records that `value` also stands for `text` (e.g. a number literal of the expression). The
   * first text recorded for a value is the one written back; a later text only matters when it
   * is a different number, which makes the value ambiguous.
   */
  note(value: number, text: string): void {
    const exact = exactValue(text);
    const entry = this.byValue.get(value);
    if (!entry) this.byValue.set(value, { text, exact, others: [] });
    else if (entry.exact !== exact && !entry.others.includes(text)) entry.others.push(text);
  }

  /**
   * The text to write for `value`: its source text; undefined when no input had it (a computed
   * number); or the list of different source numbers it could stand for.
   */
  textOf(value: number): string | undefined | { readonly ambiguous: readonly string[] } {
    const entry = this.byValue.get(value);
    if (!entry) return undefined;
    return entry.others.length === 0 ? entry.text : { ambiguous: [entry.text, ...entry.others] };
  }
}

/**
 * A JSON number's exact value in one canonical form (`-25e-1` for `-2.50`), for telling "same
 * number, other spelling" (`250.00`, `250`, `2.5e2`) from "different number".
 */
export function exactValue(text: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  const scale = Number(exponent) - fraction.length + (digits.length - significant.length);
  return `${sign}${significant}e${scale}`;
}
