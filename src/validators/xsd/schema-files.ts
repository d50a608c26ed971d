import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DOMParser, onErrorStopParsing, type Element } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';
import type { SchemaDocument } from './compiled-xsd';

const XSD_NS = 'http://www.w3.org/2001/XMLSchema';

/** A schema file and every file it reaches through xs:import / xs:include / xs:redefine. */
export interface SchemaFiles {
  readonly root: SchemaDocument;
  /** The referenced documents (not the root), each once, by the file URL libxml2 will ask for. */
  readonly others: readonly SchemaDocument[];
}

function fail(message: string): never {
  throw new JunctionError('JCT_CONFIG_REFERENCE', message);
}

function lineOf(element: Element): string {
  const line = (element as unknown as { lineNumber?: number }).lineNumber;
  return line ? String(line) : '?';
}

function readSchema(file: string, referencedFrom?: string): { text: string; schema: Element } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const from = referencedFrom ? ` (referenced from ${referencedFrom})` : '';
    return fail(`XML Schema ${file}${from} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const declared = /^\uFEFF?<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
  if (declared && !/^utf-?8$/i.test(declared)) fail(`XML Schema ${file} declares encoding "${declared}"; save it as UTF-8.`);
  let root: Element | null;
  try {
    root = new DOMParser({ onError: onErrorStopParsing }).parseFromString(text, 'text/xml').documentElement;
  } catch (error) {
    const reason = String((error as Error).message ?? error).replace(/^Reporting error "(.*)" caused onErrorStopParsing$/s, '$1').split('\n')[0];
    return fail(`XML Schema ${file} is not well-formed XML: ${reason}.`);
  }
  if (!root || root.namespaceURI !== XSD_NS || root.localName !== 'schema') fail(`${file} is not an XML Schema (its root is not xs:schema).`);
  return { text, schema: root };
}

/**
 * Reads a schema file and, recursively, the files its xs:import / xs:include / xs:redefine
 * name (schemaLocation relative to the referencing file), so libxml2 can compile them from
 * memory. Runs at boot; throws JCT_CONFIG_REFERENCE naming the file (and the referencing file
 * and line) that is missing, unreadable, not well-formed or not a schema.
 */
export function readSchemaFiles(file: string): SchemaFiles {
  const absolute = path.resolve(file);
  const { text, schema } = readSchema(absolute);
  const seen = new Set<string>([absolute]);
  const others: SchemaDocument[] = [];
  const follow = (parent: Element, fromFile: string): void => {
    for (let node = parent.firstChild; node; node = node.nextSibling) {
      if (node.nodeType !== 1) continue;
      const reference = node as Element;
      if (reference.namespaceURI !== XSD_NS || !['import', 'include', 'redefine'].includes(reference.localName ?? '')) continue;
      const location = reference.getAttribute('schemaLocation');
      if (!location) {
        if (reference.localName !== 'import') fail(`${fromFile}:${lineOf(reference)}: xs:${reference.localName} needs a schemaLocation.`);
        continue; // an import of a namespace without a location: libxml2 resolves it or reports it
      }
      if (/^[a-z][a-z0-9+.-]*:/i.test(location)) {
        fail(`${fromFile}:${lineOf(reference)}: schemaLocation "${location}" is not a relative file path; Junction reads schemas from local files only (save a copy beside the schema).`);
      }
      // A schemaLocation is a URI reference (`types%20v2.xsd`), resolved as libxml2 will resolve it.
      const target = fileURLToPath(new URL(location, pathToFileURL(fromFile)));
      if (seen.has(target)) continue;
      seen.add(target);
      const loaded = readSchema(target, `${fromFile}:${lineOf(reference)}`);
      others.push({ url: pathToFileURL(target).href, text: loaded.text });
      follow(loaded.schema, target);
    }
  };
  follow(schema, absolute);
  return { root: { url: pathToFileURL(absolute).href, text }, others };
}
