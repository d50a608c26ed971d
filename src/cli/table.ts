/** Renders rows as a plain text table for people: a header, columns padded, long cells cut with `…`. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], maxWidth = 48): string {
  const cut = (text: string): string => (text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text);
  const cells = rows.map((row) => row.map((cell) => cut(cell.replace(/\s+/g, ' '))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

/** An ISO time as `YYYY-MM-DD HH:MM:SS` (UTC), the way the tables show it. */
export function shortTime(iso: unknown): string {
  return typeof iso === 'string' ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}

/**
 * The line under a page of results: how many, and when the API has more, the `--cursor` that
 * continues — commands page the same way (`messages list`, `audit`), so a person learns it once.
 */
export function pageFooter(count: number, noun: { readonly one: string; readonly many: string }, next: string | number | null): string {
  return `${count} ${count === 1 ? noun.one : noun.many}${next !== null ? `; more: --cursor ${next}` : ''}\n`;
}
