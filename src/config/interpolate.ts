/**
 * `${VAR}` and `${VAR:-default}` in configuration strings, taken from the environment. Applied
 * to string scalars after YAML parsing, so an environment value can never change the file's
 * structure. `$${` writes a literal `${`.
 */
const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A reference to an environment variable that is not set and has no default. */
export interface MissingVariable {
  readonly name: string;
  readonly path: readonly (string | number)[];
}

/** Result of {@link interpolateTree}. */
export interface InterpolationResult {
  readonly value: unknown;
  readonly missing: readonly MissingVariable[];
}

function interpolateString(text: string, env: NodeJS.ProcessEnv, onMissing: (name: string) => void): string {
  return text.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const value = env[name as string];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    onMissing(name as string);
    return '';
  });
}

/** Replaces references in every string of a parsed YAML tree; reports each missing variable with its path. */
export function interpolateTree(tree: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const missing: MissingVariable[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      return interpolateString(node, env, (name) => missing.push({ name, path }));
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        // defineProperty: a key named __proto__ stays a plain key instead of changing the prototype.
        Object.defineProperty(out, key, { value: walk(value, [...path, key]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return node;
  };
  return { value: walk(tree, []), missing };
}
