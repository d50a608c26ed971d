import type { IncomingHttpHeaders } from 'node:http';
import type { Element } from '@xmldom/xmldom';
import { JunctionError } from '../../core/errors';
import { SoapProtocolError } from './soap-fault';
import { envelopeNamespace, versionOfNamespace, type SoapVersion } from './soap-namespaces';
import type { SoapOperation, WsdlService } from './wsdl-service';
import { childElements, clark, hasDoctype, hasOwnText, isNil, ownText, parseXml, XmlSyntaxError } from './xml-dom';
import type { QName } from './xsd-model';

/** What the Content-Type says: the SOAP version, the charset, and (SOAP 1.2) the action. */
export interface SoapContentType {
  readonly version: SoapVersion;
  readonly charset?: string;
  readonly action?: string;
}

/** The parts of a SOAP request the gateway works with. */
export interface SoapEnvelope {
  /** Local name → text of each simple (text-only) header element targeted at Junction. */
  readonly headers: Readonly<Record<string, string>>;
  /** Every header block targeted at Junction (e.g. `wsse:Security`), as elements. */
  readonly blocks: readonly Element[];
  /** The one element in the Body. */
  readonly body: Element;
}

const PARAMETER = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;

/** `text/xml; charset="utf-8"` → type and lower-cased parameter names with unquoted values. */
function parseMediaType(header: string): { type: string; params: Map<string, string> } {
  const semicolon = header.indexOf(';');
  const type = (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  const params = new Map<string, string>();
  for (const [, name, raw] of (semicolon < 0 ? '' : header.slice(semicolon)).matchAll(PARAMETER)) {
    const value = raw!.trim();
    params.set(name!.toLowerCase(), value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value);
  }
  return { type, params };
}

/**
 * The SOAP version from the Content-Type: `text/xml` is SOAP 1.1, `application/soap+xml` SOAP
 * 1.2 (with its optional `action` parameter). Anything else: JCT_REQUEST_MEDIA_TYPE.
 */
export function parseSoapContentType(header: string | undefined): SoapContentType {
  const { type, params } = parseMediaType(header ?? '');
  const charset = params.get('charset');
  if (type === 'text/xml') return { version: '1.1', ...(charset ? { charset } : {}) };
  if (type === 'application/soap+xml') {
    const action = params.get('action');
    return { version: '1.2', ...(charset ? { charset } : {}), ...(action ? { action } : {}) };
  }
  throw new JunctionError('JCT_REQUEST_MEDIA_TYPE',
    `Content-Type "${(header ?? '').slice(0, 80)}" is not SOAP; send text/xml for SOAP 1.1 or application/soap+xml for SOAP 1.2.`);
}

/**
 * The action of a request, or undefined for none: SOAP 1.1 takes the `SOAPAction` header
 * (quoted; `""` means none), SOAP 1.2 the `action` parameter of the Content-Type.
 */
export function soapActionOf(contentType: SoapContentType, headers: IncomingHttpHeaders): string | undefined {
  if (contentType.version === '1.2') return contentType.action || undefined;
  const raw = headers.soapaction;
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  return unquoted || undefined;
}

const NEXT_11 = 'http://schemas.xmlsoap.org/soap/actor/next';
const NEXT_12 = 'http://www.w3.org/2003/05/soap-envelope/role/next';
const ULTIMATE_12 = 'http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver';

function isTargetedAtUs(header: Element, version: SoapVersion): boolean {
  const ns = envelopeNamespace(version);
  const role = version === '1.1' ? header.getAttributeNS(ns, 'actor') : header.getAttributeNS(ns, 'role');
  if (!role) return true;
  return version === '1.1' ? role === NEXT_11 : role === NEXT_12 || role === ULTIMATE_12;
}

function mustUnderstand(header: Element, version: SoapVersion): boolean {
  const value = header.getAttributeNS(envelopeNamespace(version), 'mustUnderstand')?.trim();
  return value === '1' || value === 'true';
}

function describe(element: Element): string {
  return clark(element.namespaceURI, element.localName ?? element.nodeName);
}

/**
 * Parses and checks a SOAP envelope: no DOCTYPE (refused before parsing, so no entity is ever
 * expanded), well-formed, an Envelope in the namespace of `version` (else VersionMismatch),
 * an optional Header then a Body holding exactly one element. Header elements that must be
 * understood and are not in `understood` (`{ns}local`) give a MustUnderstand fault.
 * `encodingStyle` attributes are ignored. Throws JunctionError (JCT_REQUEST_MALFORMED) or
 * SoapProtocolError.
 */
export function readEnvelope(text: string, version: SoapVersion, understood: ReadonlySet<string> = new Set()): SoapEnvelope {
  if (hasDoctype(text)) {
    throw new JunctionError('JCT_REQUEST_MALFORMED', 'The request has a DOCTYPE; SOAP messages must not have one (document type declarations and entities are refused).');
  }
  let root: Element | null;
  try {
    root = parseXml(text).documentElement;
  } catch (error) {
    if (!(error instanceof XmlSyntaxError)) throw error;
    throw new JunctionError('JCT_REQUEST_MALFORMED', `The request is not well-formed XML: ${error.describe()}.`);
  }
  if (!root || root.localName !== 'Envelope') {
    throw new JunctionError('JCT_REQUEST_MALFORMED', `The request's root element is ${root ? describe(root) : 'missing'}, not a SOAP Envelope.`);
  }
  const actual = versionOfNamespace(root.namespaceURI);
  if (actual !== version) {
    throw new SoapProtocolError('VersionMismatch', actual
      ? `The Envelope is SOAP ${actual} but the Content-Type announces SOAP ${version}; send SOAP ${actual} with Content-Type ${actual === '1.1' ? 'text/xml' : 'application/soap+xml'}.`
      : `The Envelope namespace "${root.namespaceURI ?? ''}" is not a SOAP envelope namespace; SOAP ${version} uses ${envelopeNamespace(version)}.`);
  }
  const ns = envelopeNamespace(version);
  const parts = childElements(root);
  const header = parts[0]?.namespaceURI === ns && parts[0].localName === 'Header' ? parts.shift() : undefined;
  const body = parts.shift();
  if (!body || body.namespaceURI !== ns || body.localName !== 'Body') {
    throw new JunctionError('JCT_REQUEST_MALFORMED', `The Envelope must hold a Body (after an optional Header)${body ? `, not ${describe(body)}` : ''}.`);
  }
  if (parts.length > 0) throw new JunctionError('JCT_REQUEST_MALFORMED', `Nothing may follow the Body; found ${describe(parts[0]!)}.`);
  if (hasOwnText(root) || (header && hasOwnText(header)) || hasOwnText(body)) {
    throw new JunctionError('JCT_REQUEST_MALFORMED', 'The Envelope, Header and Body may hold elements only, not text.');
  }

  const headers: Record<string, string> = {};
  const notUnderstood: QName[] = [];
  const blocks: Element[] = [];
  for (const block of header ? childElements(header) : []) {
    if (!isTargetedAtUs(block, version)) continue;
    blocks.push(block);
    if (mustUnderstand(block, version) && !understood.has(describe(block))) {
      notUnderstood.push({ namespace: block.namespaceURI ?? '', local: block.localName ?? '' });
      continue;
    }
    const name = block.localName ?? '';
    // A nil header is an absent one: generated clients (svcutil, wsimport) send declared headers left unset that way.
    if (isNil(block)) continue;
    if (childElements(block).length === 0 && !Object.prototype.hasOwnProperty.call(headers, name)) {
      Object.defineProperty(headers, name, { value: ownText(block).trim(), enumerable: true });
    }
  }
  if (notUnderstood.length > 0) {
    throw new SoapProtocolError('MustUnderstand',
      `Header ${notUnderstood.map((q) => clark(q.namespace, q.local)).join(', ')} must be understood, and Junction does not process it.`, notUnderstood);
  }

  const elements = childElements(body);
  if (elements.length === 0) throw new JunctionError('JCT_REQUEST_MALFORMED', 'The SOAP Body is empty; it must hold exactly one request element.');
  if (elements.length > 1) {
    throw new JunctionError('JCT_REQUEST_MALFORMED',
      `The SOAP Body holds ${elements.length} elements (${elements.slice(0, 5).map((e) => e.localName).join(', ')}); it must hold exactly one.`);
  }
  return { headers: Object.freeze(headers), blocks: Object.freeze(blocks), body: elements[0]! };
}

function listOperations(service: WsdlService): string {
  return service.operations
    .map((o) => `${o.name} (element ${o.inputElement.local}${o.soapAction11 ?? o.soapAction12 ? `, SOAPAction "${o.soapAction11 ?? o.soapAction12}"` : ''})`)
    .join('; ');
}

/**
 * The operation a request calls, from its body element; a SOAPAction (if any) must name the
 * same operation. Throws JCT_SOAP_OPERATION_UNKNOWN listing the service's operations.
 */
export function resolveOperation(service: WsdlService, body: Element, action: string | undefined): SoapOperation {
  const element: QName = { namespace: body.namespaceURI ?? '', local: body.localName ?? '' };
  const byBody = service.operationForElement(element);
  if (!byBody) {
    throw new JunctionError('JCT_SOAP_OPERATION_UNKNOWN',
      `The body element ${clark(element.namespace, element.local)} is not a request of service ${service.serviceName}. Its operations: ${listOperations(service)}.`);
  }
  if (action === undefined) return byBody;
  const byAction = service.operationForAction(action);
  if (!byAction) {
    throw new JunctionError('JCT_SOAP_OPERATION_UNKNOWN',
      `SOAPAction "${action.slice(0, 200)}" names no operation of service ${service.serviceName}. Its operations: ${listOperations(service)}.`);
  }
  if (byAction !== byBody) {
    throw new JunctionError('JCT_SOAP_OPERATION_UNKNOWN',
      `SOAPAction "${action}" (operation ${byAction.name}) contradicts the body element ${element.local} (operation ${byBody.name}); send the action of ${byBody.name} or an empty one.`);
  }
  return byBody;
}
