import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Document, Element } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';
import { NS, type SoapVersion } from './soap-namespaces';
import { childElements, clark, lineOf, parseXml, serializeXml, XmlSyntaxError } from './xml-dom';
import { buildXsdModel, type QName, type SchemaSource, type XsdModel } from './xsd-model';


/** Namespaces of the WSDL attribute that names an operation's WS-Addressing action (1.0 Metadata, and the older WSDL binding). */
const ADDRESSING_METADATA = ['http://www.w3.org/2007/05/addressing/metadata', 'http://www.w3.org/2006/05/addressing/wsdl'];

/** A SOAP service Junction publishes: its name (for dispatch), where it is served, its WSDL. */
export interface SoapServiceSpec {
  /** Junction's name of the service, e.g. `crm`; passed to dispatch. */
  readonly name: string;
  /** HTTP path of the endpoint, e.g. `/soap/crm`; the WSDL is at `<path>?wsdl`. */
  readonly path: string;
  /** The WSDL file; the XSDs it imports are found relative to it. */
  readonly wsdlFile: string;
}

/** One operation of a service, as the WSDL declares it (document/literal). */
export interface SoapOperation {
  readonly name: string;
  /** The request's body element. */
  readonly inputElement: QName;
  /** The response's body element; undefined for a one-way operation. */
  readonly outputElement: QName | undefined;
  /** SOAPAction of the SOAP 1.1 binding ('' or undefined when none is declared). */
  readonly soapAction11: string | undefined;
  /** `action` of the SOAP 1.2 binding. */
  readonly soapAction12: string | undefined;
  /**
   * WS-Addressing actions of the input and the output (ws-addressing.ts): the `wsam:Action` (or
   * `wsaw:Action`) the WSDL gives them, else the default pattern
   * `<targetNamespace>/<portType>/<name>` (`:` after a `urn:` namespace), the input named after
   * the operation + `Request` (the operation alone when one-way), the output + `Response`.
   */
  readonly inputAction: string;
  readonly outputAction: string | undefined;
}

/** A WSDL or XSD as loaded at boot, ready to be served with its references rewritten. */
export interface PublishedDocument {
  /** The name it is served under (`?xsd=<name>`); '' for the WSDL itself. */
  readonly name: string;
  readonly file: string;
  readonly document: Document;
  /** Each schemaLocation as written in this document → the served name of its target. */
  readonly locations: ReadonlyMap<string, string>;
}

/** A schema as libxml2 compiles it: a URL for resolving its references, and its standalone text. */
export interface CompilableSchema {
  readonly url: string;
  readonly text: string;
  readonly targetNamespace: string;
  /** Reached through xs:include only: compiled as part of the schema that includes it. */
  readonly included: boolean;
}

/** A loaded service: operations, documents to serve, and the schema model. */
export interface WsdlService {
  readonly spec: SoapServiceSpec;
  /** `wsdl:service/@name`, e.g. `CrmService`. */
  readonly serviceName: string;
  readonly targetNamespace: string;
  /** SOAP versions with a port in the WSDL. */
  readonly versions: readonly SoapVersion[];
  readonly operations: readonly SoapOperation[];
  readonly wsdl: PublishedDocument;
  /** Served XSDs by name. */
  readonly schemas: ReadonlyMap<string, PublishedDocument>;
  readonly compilable: readonly CompilableSchema[];
  readonly model: XsdModel;
  /** Preferred prefix per namespace (from the WSDL's declarations) for writing responses. */
  readonly prefixes: ReadonlyMap<string, string>;
  operationForElement(name: QName): SoapOperation | undefined;
  operationForAction(action: string): SoapOperation | undefined;
}

const WELL_KNOWN = new Set<string>(Object.values(NS));

class Loader {
  readonly schemas = new Map<string, PublishedDocument>();
  readonly sources: SchemaSource[] = [];
  readonly compilable: CompilableSchema[] = [];
  private readonly byFile = new Map<string, string>();

  constructor(private readonly spec: SoapServiceSpec, private readonly wsdlDir: string) {}

  fail(message: string): never {
    throw new JunctionError('JCT_CONFIG_REFERENCE', `SOAP service "${this.spec.name}": ${message}`);
  }

  read(file: string, what: string, referencedFrom?: string): { text: string; document: Document } {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const from = referencedFrom ? ` (referenced from ${referencedFrom})` : '';
      return this.fail(`cannot read the ${what} ${file}${from} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    const declared = /^\uFEFF?<\?xml[^>]*encoding\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
    if (declared && !/^utf-?8$/i.test(declared)) this.fail(`${file} declares encoding "${declared}"; save it as UTF-8.`);
    try {
      return { text, document: parseXml(text) };
    } catch (error) {
      if (error instanceof XmlSyntaxError) return this.fail(`${file} is not well-formed XML: ${error.describe()}.`);
      throw error;
    }
  }

  servedName(file: string): string {
    const known = this.byFile.get(file);
    if (known !== undefined) return known;
    let name = path.relative(this.wsdlDir, file).split(path.sep).join('/');
    if (name.startsWith('..')) name = path.basename(file);
    const taken = new Set(this.byFile.values());
    for (let n = 2; taken.has(name); n += 1) name = `${path.basename(file, '.xsd')}-${n}.xsd`;
    this.byFile.set(file, name);
    return name;
  }

  /** Follows the xs:import / xs:include of `schema`, loading each file once. */
  follow(schema: Element, fromFile: string, locations: Map<string, string>): void {
    const tns = schema.getAttribute('targetNamespace') ?? '';
    for (const reference of childElements(schema)) {
      if (reference.namespaceURI !== NS.xsd) continue;
      if (reference.localName === 'redefine' || reference.localName === 'override') {
        this.fail(`${fromFile}:${lineOf(reference) ?? '?'}: xs:${reference.localName} is not supported.`);
      }
      if (reference.localName !== 'import' && reference.localName !== 'include') continue;
      const location = reference.getAttribute('schemaLocation');
      if (!location) {
        if (reference.localName === 'include') this.fail(`${fromFile}:${lineOf(reference) ?? '?'}: xs:include needs a schemaLocation.`);
        continue; // an import of a namespace another schema of the set declares
      }
      if (/^[a-z][a-z0-9+.-]*:/i.test(location)) {
        this.fail(`${fromFile}:${lineOf(reference) ?? '?'}: schemaLocation "${location}" is not a relative file path; Junction publishes local files only.`);
      }
      const file = path.resolve(path.dirname(fromFile), location);
      const name = this.servedName(file);
      locations.set(location, name);
      if (this.schemas.has(name)) continue;
      const { text, document } = this.read(file, 'schema', fromFile);
      const root = document.documentElement;
      if (!root || root.namespaceURI !== NS.xsd || root.localName !== 'schema') this.fail(`${file} is not an XML Schema (its root is not xs:schema).`);
      const own = new Map<string, string>();
      this.schemas.set(name, { name, file, document, locations: own });
      const included = reference.localName === 'include';
      const targetNamespace = root.getAttribute('targetNamespace') ?? (included ? tns : '');
      this.sources.push({ schema: root, file, ...(included && !root.hasAttribute('targetNamespace') ? { includedInto: tns } : {}) });
      this.compilable.push({ url: pathToFileURL(file).href, text, targetNamespace, included });
      this.follow(root, file, own);
    }
  }
}

/** `xs:schema` text that stands alone: the namespace declarations in scope on the WSDL copied onto it. */
function standaloneSchema(schema: Element): string {
  const copy = schema.cloneNode(true) as Element;
  for (let node = schema.parentNode; node && node.nodeType === 1; node = node.parentNode) {
    const attributes = (node as Element).attributes;
    for (let i = 0; i < attributes.length; i += 1) {
      const attribute = attributes.item(i)!;
      if (attribute.namespaceURI === NS.xmlns && !copy.hasAttribute(attribute.name)) copy.setAttributeNS(NS.xmlns, attribute.name, attribute.value);
    }
  }
  return serializeXml(copy);
}

function qnameOf(at: Element, value: string | null, loader: Loader, what: string): QName {
  if (!value) return loader.fail(`${what} is missing (line ${lineOf(at) ?? '?'}).`);
  const colon = value.indexOf(':');
  const prefix = colon < 0 ? null : value.slice(0, colon);
  const namespace = at.lookupNamespaceURI(prefix);
  if (prefix !== null && !namespace) loader.fail(`the prefix of "${value}" is not declared (line ${lineOf(at) ?? '?'}).`);
  return { namespace: namespace ?? '', local: colon < 0 ? value : value.slice(colon + 1) };
}

function wsdlChildren(parent: Element, local: string): Element[] {
  return childElements(parent).filter((c) => c.namespaceURI === NS.wsdl && c.localName === local);
}

function bindingVersion(binding: Element): SoapVersion | undefined {
  for (const child of childElements(binding)) {
    if (child.localName !== 'binding') continue;
    if (child.namespaceURI === NS.wsdlSoap11) return '1.1';
    if (child.namespaceURI === NS.wsdlSoap12) return '1.2';
  }
  return undefined;
}

/**
 * Loads a service's WSDL and every XSD it imports or includes (recursively, relative to the
 * file that names them), checks that it is a document/literal SOAP 1.1 and/or 1.2 service this
 * gateway can serve, and extracts its operations. Reads files synchronously: call it at boot.
 * Throws JCT_CONFIG_REFERENCE naming the service and file for anything missing or invalid.
 */
export function loadWsdlService(spec: SoapServiceSpec): WsdlService {
  const wsdlFile = path.resolve(spec.wsdlFile);
  const loader = new Loader(spec, path.dirname(wsdlFile));
  const { document } = loader.read(wsdlFile, 'WSDL');
  const definitions = document.documentElement;
  if (!definitions || definitions.namespaceURI !== NS.wsdl || definitions.localName !== 'definitions') {
    return loader.fail(`${wsdlFile} is not a WSDL 1.1 document (its root is not wsdl:definitions).`);
  }
  if (wsdlChildren(definitions, 'import').length > 0) loader.fail(`${wsdlFile}: wsdl:import is not supported; import the XSDs from wsdl:types instead.`);
  const targetNamespace = definitions.getAttribute('targetNamespace') ?? '';
  const wsdlLocations = new Map<string, string>();

  wsdlChildren(definitions, 'types').forEach((types) => {
    childElements(types).filter((c) => c.namespaceURI === NS.xsd && c.localName === 'schema').forEach((schema, index) => {
      loader.sources.push({ schema, file: `${wsdlFile} (wsdl:types schema ${index + 1})` });
      const ownDeclarations = childElements(schema).some((c) => c.namespaceURI === NS.xsd && !['import', 'annotation'].includes(c.localName ?? ''));
      if (ownDeclarations) {
        const inlineUrl = pathToFileURL(`${wsdlFile}.types-${index + 1}.xsd`).href;
        loader.compilable.push({ url: inlineUrl, text: standaloneSchema(schema), targetNamespace: schema.getAttribute('targetNamespace') ?? '', included: false });
      }
      loader.follow(schema, wsdlFile, wsdlLocations);
    });
  });
  const model = buildXsdModel(loader.sources, `SOAP service "${spec.name}"`);

  const messages = new Map<string, QName>();
  for (const message of wsdlChildren(definitions, 'message')) {
    const name = message.getAttribute('name') ?? '';
    const parts = wsdlChildren(message, 'part');
    if (parts.length !== 1 || !parts[0]!.getAttribute('element')) {
      loader.fail(`wsdl:message "${name}" must have exactly one part with an element (document/literal).`);
    }
    const element = qnameOf(parts[0]!, parts[0]!.getAttribute('element'), loader, `the element of message "${name}"`);
    if (!model.element(element)) loader.fail(`wsdl:message "${name}" refers to ${clark(element.namespace, element.local)}, which no schema declares.`);
    messages.set(name, element);
  }
  const messageElement = (at: Element): QName => {
    const ref = qnameOf(at, at.getAttribute('message'), loader, 'the message of an operation');
    return messages.get(ref.local) ?? loader.fail(`no wsdl:message is named "${ref.local}" (line ${lineOf(at) ?? '?'}).`);
  };

  const services = wsdlChildren(definitions, 'service');
  if (services.length !== 1) loader.fail(`${wsdlFile} must declare exactly one wsdl:service (found ${services.length}).`);
  const service = services[0]!;
  const bindings = new Map(wsdlChildren(definitions, 'binding').map((b) => [b.getAttribute('name') ?? '', b]));
  const actions = new Map<string, Map<string, string>>(); // version → operation → action
  let portTypeName: string | undefined;
  for (const port of wsdlChildren(service, 'port')) {
    const bindingName = qnameOf(port, port.getAttribute('binding'), loader, `the binding of port "${port.getAttribute('name') ?? ''}"`).local;
    const binding = bindings.get(bindingName) ?? loader.fail(`no wsdl:binding is named "${bindingName}".`);
    const version = bindingVersion(binding);
    if (!version || actions.has(version)) continue; // not SOAP (e.g. HTTP), or a second port of a version
    const typeName = qnameOf(binding, binding.getAttribute('type'), loader, `the type of binding "${bindingName}"`).local;
    if (portTypeName !== undefined && portTypeName !== typeName) loader.fail('all SOAP ports must bind the same wsdl:portType.');
    portTypeName = typeName;
    const soapNs = version === '1.1' ? NS.wsdlSoap11 : NS.wsdlSoap12;
    const defaultStyle = childElements(binding).find((c) => c.namespaceURI === soapNs && c.localName === 'binding')?.getAttribute('style') || 'document';
    const byOperation = new Map<string, string>();
    for (const operation of wsdlChildren(binding, 'operation')) {
      const name = operation.getAttribute('name') ?? '';
      const soapOperation = childElements(operation).find((c) => c.namespaceURI === soapNs && c.localName === 'operation');
      if ((soapOperation?.getAttribute('style') || defaultStyle) !== 'document') loader.fail(`binding "${bindingName}", operation "${name}": only document style is supported.`);
      for (const body of operation.getElementsByTagNameNS(soapNs, 'body')) {
        if ((body.getAttribute('use') ?? 'literal') !== 'literal') loader.fail(`binding "${bindingName}", operation "${name}": only use="literal" is supported.`);
      }
      byOperation.set(name, soapOperation?.getAttribute('soapAction') ?? '');
    }
    actions.set(version, byOperation);
  }
  if (portTypeName === undefined) return loader.fail(`wsdl:service "${service.getAttribute('name') ?? ''}" has no SOAP 1.1 or 1.2 port.`);
  const portType = wsdlChildren(definitions, 'portType').find((p) => p.getAttribute('name') === portTypeName)
    ?? loader.fail(`no wsdl:portType is named "${portTypeName}".`);

  const operations: SoapOperation[] = [];
  for (const operation of wsdlChildren(portType, 'operation')) {
    const name = operation.getAttribute('name') ?? '';
    const steps = childElements(operation).filter((c) => c.namespaceURI === NS.wsdl && (c.localName === 'input' || c.localName === 'output'));
    if (steps[0]?.localName !== 'input') loader.fail(`operation "${name}" must start with an input (notification and solicit-response are not supported).`);
    const action = (version: SoapVersion): string | undefined => actions.get(version)?.get(name) || undefined;
    const addressingAction = (step: Element, suffix: string): string => {
      const explicit = ADDRESSING_METADATA.map((ns) => step.getAttributeNS(ns, 'Action')).find((a) => a);
      if (explicit) return explicit;
      const delimiter = targetNamespace.startsWith('urn:') ? ':' : '/';
      const base = targetNamespace.endsWith(delimiter) ? targetNamespace : `${targetNamespace}${delimiter}`;
      return `${base}${portTypeName}${delimiter}${step.getAttribute('name') || `${name}${suffix}`}`;
    };
    operations.push(Object.freeze({
      name,
      inputElement: messageElement(steps[0]!),
      outputElement: steps[1] ? messageElement(steps[1]) : undefined,
      soapAction11: action('1.1'),
      soapAction12: action('1.2'),
      inputAction: addressingAction(steps[0]!, steps[1] ? 'Request' : ''),
      outputAction: steps[1] ? addressingAction(steps[1], 'Response') : undefined,
    }));
  }
  const byElement = new Map<string, SoapOperation>();
  const byAction = new Map<string, SoapOperation>();
  for (const operation of operations) {
    const key = clark(operation.inputElement.namespace, operation.inputElement.local);
    const other = byElement.get(key);
    if (other) loader.fail(`operations "${other.name}" and "${operation.name}" take the same body element ${key}; document/literal needs one element per operation.`);
    byElement.set(key, operation);
    for (const action of [operation.soapAction11, operation.soapAction12]) {
      if (action === undefined) continue;
      const owner = byAction.get(action);
      if (owner && owner !== operation) loader.fail(`operations "${owner.name}" and "${operation.name}" share the SOAPAction "${action}".`);
      byAction.set(action, operation);
    }
  }

  const prefixes = new Map<string, string>();
  const attributes = definitions.attributes;
  for (let i = 0; i < attributes.length; i += 1) {
    const attribute = attributes.item(i)!;
    if (attribute.prefix === 'xmlns' && !WELL_KNOWN.has(attribute.value) && !prefixes.has(attribute.value)) {
      prefixes.set(attribute.value, attribute.localName ?? '');
    }
  }

  return Object.freeze({
    spec,
    serviceName: service.getAttribute('name') ?? spec.name,
    targetNamespace,
    versions: (['1.1', '1.2'] as const).filter((v) => actions.has(v)),
    operations: Object.freeze(operations),
    wsdl: { name: '', file: wsdlFile, document, locations: wsdlLocations },
    schemas: loader.schemas,
    compilable: Object.freeze(loader.compilable),
    model,
    prefixes,
    operationForElement: (name: QName) => byElement.get(clark(name.namespace, name.local)),
    operationForAction: (action: string) => byAction.get(action),
  });
}
