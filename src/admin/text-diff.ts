import { diffLines } from 'diff';
import { prettyBody } from '../core/pretty-body';

/** One line of a diff: kept (' '), removed ('-') or added ('+'). */
export interface DiffLine {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
}

/** A line diff of two bodies, pretty-printed first (JSON and XML one field per line) so changes show per field. */
export interface BodyDiff {
  readonly changed: boolean;
  readonly added: number;
  readonly removed: number;
  readonly lines: readonly DiffLine[];
}

/** Most lines a diff carries; beyond that it is cut and says so. */
const MAX_LINES = 2000;

/**
 * Diffs two message bodies line by line (jsdiff's Myers diff) after pretty-printing each with its
 * content type. Numbers and text are compared exactly as written (`250.00` ≠ `250.0`).
 */
export function diffBodies(before: string | undefined, beforeType: string | undefined, after: string | undefined, afterType: string | undefined): BodyDiff {
  const a = before === undefined ? '' : prettyBody(before, beforeType ?? '');
  const b = after === undefined ? '' : prettyBody(after, afterType ?? '');
  const lines: DiffLine[] = [];
  let added = 0;
  let removed = 0;
  for (const part of diffLines(a.endsWith('\n') ? a : `${a}\n`, b.endsWith('\n') ? b : `${b}\n`)) {
    const op = part.added ? '+' : part.removed ? '-' : ' ';
    const texts = part.value.replace(/\n$/, '').split('\n');
    if (op === '+') added += texts.length;
    if (op === '-') removed += texts.length;
    for (const text of texts) lines.push({ op, text });
  }
  const cut = lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), { op: ' ' as const, text: `… ${lines.length - MAX_LINES} more lines` }] : lines;
  return { changed: added + removed > 0, added, removed, lines: cut };
}

/** A unified-looking text of a diff: changed lines with up to `context` kept lines around them. */
export function diffText(diff: BodyDiff, context = 3): string {
  const keep = new Set<number>();
  diff.lines.forEach((line, i) => {
    if (line.op === ' ') return;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.lines.length - 1, i + context); k += 1) keep.add(k);
  });
  const out: string[] = [];
  let last = -1;
  for (const i of [...keep].sort((x, y) => x - y)) {
    if (last >= 0 && i > last + 1) out.push('  …');
    const line = diff.lines[i];
    if (line) out.push(`${line.op} ${line.text}`);
    last = i;
  }
  return out.join('\n');
}
