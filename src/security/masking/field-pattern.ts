/**
 * Paths that name sensitive fields, one syntax for JSON and XML: `/`-separated segments from the
 * document's root — JSON keys and array indices, or XML element local names (namespaces ignored)
 * with `@name` for an attribute. `*` stands for any one segment, `**` for any number (also none).
 * Names compare case-insensitively: masking one field too many beats leaking one.
 *
 *   /payment/cardNumber      the field at exactly that place
 *   /lines/STAR/price        (STAR = `*`) every line's price
 *   STARSTAR/password        (STARSTAR = `**`) a field named password anywhere
 */
export class FieldPattern {
  private readonly segments: readonly string[];

  constructor(readonly source: string) {
    const trimmed = source.trim();
    const body = trimmed.startsWith('/') ? trimmed.slice(1) : trimmed;
    this.segments = body.split('/').map((s) => s.toLowerCase());
    if (this.segments.some((s) => s === '')) throw new Error(`"${source}" has an empty segment`);
  }

  /** The last segment when it is a literal name (`password` in `**\/password`): what free-text masking looks for. */
  get fieldName(): string | undefined {
    const last = this.segments[this.segments.length - 1]!;
    return last === '*' || last === '**' ? undefined : last.replace(/^@/, '');
  }

  /** True when `path` (segments from the root) is matched. */
  matches(path: readonly string[]): boolean {
    return match(this.segments, 0, path.map((p) => p.toLowerCase()), 0);
  }
}

function match(pattern: readonly string[], p: number, path: readonly string[], q: number): boolean {
  if (p === pattern.length) return q === path.length;
  const segment = pattern[p]!;
  if (segment === '**') {
    for (let skip = q; skip <= path.length; skip += 1) if (match(pattern, p + 1, path, skip)) return true;
    return false;
  }
  if (q === path.length) return false;
  return (segment === '*' || segment === path[q]) && match(pattern, p + 1, path, q + 1);
}
