import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CONFIG_SCHEMA, SECRET_REF_SCHEMA } from '../../../src/config/config-schema';

/** A schema node, as far as walking it goes (other keywords are not looked at). */
interface SchemaNode {
  readonly [keyword: string]: unknown;
  readonly $ref?: string;
  readonly default?: unknown;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly items?: SchemaNode;
  readonly oneOf?: readonly SchemaNode[];
}

/** One setting the schema accepts: its path (`security.clients.<name>.apiKey`, `routes[].retry.attempts`). */
interface SchemaKey {
  readonly path: string;
  readonly name: string;
  readonly default?: unknown;
}

const root: SchemaNode = CONFIG_SCHEMA;
const defs = CONFIG_SCHEMA.$defs as Readonly<Record<string, SchemaNode>>;
/** Value types documented once ("Secret references", `{ file: path }`), not under every key that uses them. */
const VALUE_TYPES = new Set<SchemaNode>([SECRET_REF_SCHEMA, defs.fileRef as SchemaNode]);

function schemaKeys(node: SchemaNode, prefix: string): SchemaKey[] {
  const resolved = node.$ref ? defs[node.$ref.replace('#/$defs/', '')] : node;
  if (resolved === undefined || VALUE_TYPES.has(resolved)) return [];
  const keys: SchemaKey[] = [];
  for (const [name, child] of Object.entries(resolved.properties ?? {})) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    keys.push({ path, name, ...(child.default !== undefined ? { default: child.default } : {}) }, ...schemaKeys(child, path));
  }
  if (typeof resolved.additionalProperties === 'object') keys.push(...schemaKeys(resolved.additionalProperties, `${prefix}.<name>`));
  if (resolved.items) keys.push(...schemaKeys(resolved.items, `${prefix}[]`));
  for (const alternative of resolved.oneOf ?? []) keys.push(...schemaKeys(alternative, prefix));
  return keys;
}

/** A `###` section of the reference: its heading's key (`server`, `soap.services.<name>`, `routes[]`) and its text, `####` included. */
interface Section {
  readonly heading: string;
  readonly text: string;
}

function sectionsOf(docs: string): Section[] {
  return docs.split(/^(?=#{2,3} )/m).flatMap((text) => {
    const heading = /^### `([^`]+)`/.exec(text)?.[1];
    return heading === undefined ? [] : [{ heading, text }];
  });
}

/** The sections about a key: those whose heading is its top-level key or starts with it. */
function sectionsFor(sections: readonly Section[], path: string): Section[] {
  const [topLevel = ''] = path.split(/[.[]/);
  return sections.filter((s) => s.heading === topLevel || s.heading.startsWith(`${topLevel}.`) || s.heading.startsWith(`${topLevel}[`));
}

/** The words inside backticks: `auth.jwt.secret` gives auth, jwt, secret. */
function backtickedWords(text: string): Set<string> {
  return new Set([...text.matchAll(/`([^`\n]+)`/g)].flatMap((m) => (m[1] ?? '').split(/[^A-Za-z0-9_]+/)));
}

describe('docs/configuration.md documents the configuration schema', () => {
  const docs = readFileSync('docs/configuration.md', 'utf8');
  const keys = schemaKeys(root, '');
  const sections = sectionsOf(docs);

  it('walks the whole schema', () => {
    expect(keys.map((k) => k.path)).to.include.members(['server.compression.thresholdBytes', 'admin.console.oidc.redirectUri', 'routes[].retry.jitter']);
  });

  it('every top-level key has a `###` section, every other key is named in backticks in one of its top-level key\'s sections', () => {
    const undocumented = keys.filter((key) => {
      const own = sectionsFor(sections, key.path);
      return key.path.includes('.') || key.path.includes('[') ? !own.some((s) => backtickedWords(s.text).has(key.name)) : own.length === 0;
    });
    expect(undocumented.map((k) => k.path)).to.deep.equal([]);
  });

  it('a key with a row of its own shows the schema\'s default there', () => {
    const wrong = keys.filter((key) => ['string', 'number', 'boolean'].includes(typeof key.default)).flatMap((key) => {
      const rows = sectionsFor(sections, key.path).flatMap((s) => {
        const relative = key.path.startsWith(`${s.heading}.`) ? key.path.slice(s.heading.length + 1) : undefined;
        return s.text.split('\n').filter((line) => relative !== undefined && line.startsWith(`| \`${relative}\` |`));
      });
      return rows.filter((row) => !(row.split(' | ')[1] ?? '').includes(`\`${String(key.default)}\``)).map((row) => `${key.path}: ${row.slice(0, 80)}`);
    });
    expect(wrong).to.deep.equal([]);
  });
});
