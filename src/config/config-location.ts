import { isMap, isSeq, LineCounter, type Document, type Node } from 'yaml';

/** A path inside the configuration, e.g. `['routes', 0, 'steps', 1, 'type']`. */
export type ConfigPath = readonly (string | number)[];

/** Formats a path the way a person reads it: `routes[0].steps[1].type`. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out === '' ? '(top level)' : out;
}

/**
 * Turns a path inside the parsed YAML into `file:line:column`, pointing at the deepest node that
 * exists, so errors lead the reader to the right line.
 */
export class ConfigLocator {
  constructor(
    readonly file: string,
    private readonly document: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** `file:line:col` of the node at `path`, or of its nearest existing parent. */
  locate(path: ConfigPath): string {
    let node: unknown = this.document.contents;
    let found: Node | undefined = isMap(node) || isSeq(node) ? node : undefined;
    for (const part of path) {
      if (isMap(node)) node = node.get(part, true);
      else if (isSeq(node) && typeof part === 'number') node = node.get(part, true);
      else break;
      if (node === undefined) break;
      found = node as Node;
    }
    const offset = found?.range?.[0];
    if (offset === undefined) return this.file;
    const { line, col } = this.lines.linePos(offset);
    return `${this.file}:${line}:${col}`;
  }

  /** The scalar at `path` as written in the file (before `${ENV}` interpolation), or undefined. */
  rawScalar(path: ConfigPath): string | undefined {
    let node: unknown = this.document.contents;
    for (const part of path) {
      if (isMap(node)) node = node.get(part, true);
      else if (isSeq(node) && typeof part === 'number') node = node.get(part, true);
      else return undefined;
    }
    const source = (node as { source?: unknown } | undefined)?.source;
    return typeof source === 'string' ? source : undefined;
  }
}
