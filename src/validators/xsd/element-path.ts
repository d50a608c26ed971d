import type { Libxml, LibxmlDocument, LibxmlElement } from './libxml';

/** One step of libxml2's node path: `p:name[2]`, `name`, `*[3]` (an element in a default namespace). */
const STEP = /^(?:([^:[\]]+):)?([^[\]]+)(?:\[(\d+)\])?$/;

function elementChildren(lib: Libxml, parent: LibxmlElement): LibxmlElement[] {
  const children: LibxmlElement[] = [];
  for (let node = parent.firstChild; node; node = node.next) if (node instanceof lib.XmlElement) children.push(node);
  return children;
}

/** The index in `siblings` of the element a step names, counting as xmlGetNodePath does; -1 when none. */
function pick(siblings: readonly LibxmlElement[], step: string): number {
  const match = STEP.exec(step);
  if (!match) return -1;
  const [, prefix, name, index] = match;
  // libxml2 writes '*' for an element in a default namespace, and then counts every element.
  const matches = (e: LibxmlElement): boolean => name === '*'
    || (e.name === name && (prefix === undefined ? e.namespaceUri === '' : e.prefix === prefix));
  let remaining = index === undefined ? 1 : Number(index);
  return siblings.findIndex((e) => matches(e) && (remaining -= 1) === 0);
}

/** `name`, or `name[2]` when several siblings share its name and namespace. */
function readableStep(siblings: readonly LibxmlElement[], index: number): string {
  const element = siblings[index]!;
  const same = (e: LibxmlElement): boolean => e.name === element.name && e.namespaceUri === element.namespaceUri;
  if (siblings.filter(same).length === 1) return element.name;
  return `${element.name}[${siblings.slice(0, index + 1).filter(same).length}]`;
}

/**
 * Turns libxml2's path of an element (`/o:order/*[3]/p:id`: prefixes, and `*` for elements in
 * a default namespace) into one people read, in local names: `/order/customer/id`, leaving out
 * the first `omitAncestors` elements (2 below a SOAP Body). Undefined when it does not resolve.
 */
export function readablePath(lib: Libxml, document: LibxmlDocument, xpath: string, omitAncestors: number): string | undefined {
  const steps = xpath.split('/').slice(1);
  const names: string[] = [];
  let siblings: LibxmlElement[] = [document.root];
  for (const [i, step] of steps.entries()) {
    const index = pick(siblings, step);
    if (index < 0) return undefined;
    names.push(readableStep(siblings, index));
    if (i < steps.length - 1) siblings = elementChildren(lib, siblings[index]!);
  }
  const shown = names.slice(omitAncestors);
  return shown.length > 0 ? `/${shown.join('/')}` : undefined;
}
