import { DOMParser, onErrorStopParsing, type Element, type Node } from '@xmldom/xmldom';

/** Namespace of a SOAP 1.1 envelope. */
export const SOAP11_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** Namespace of a SOAP 1.2 envelope (answered with a VersionMismatch fault). */
export const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope';
/** Target namespace of the ERP's WSDL (wsdl/erp/erp.wsdl). */
export const ERP_NS = 'urn:legacy:erp:v1';
/** Namespace of Junction's delivery headers (`<jh:MessageId>`). */
export const JUNCTION_HEADERS_NS = 'urn:junction:headers:v1';

/** A SOAP 1.1 fault: `faultcode` (without prefix), `faultstring`, and the ERP's `<detail>`. */
export interface SoapFault {
  readonly faultcode: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';
  readonly faultstring: string;
  /** `<ErpFault><CODE>` in the detail: a stable code such as VALIDATION or MALFORMED_XML. */
  readonly code: string;
  /** `<ErpFault><FIELD>`: the offending field, when there is one (e.g. CUST_NAME, LINE[2].QTY). */
  readonly field?: string;
}

/** A SOAP request taken apart: the MessageId header (if any) and the one element in the Body. */
export type ParsedSoapRequest =
  | { readonly ok: true; readonly messageId: string | undefined; readonly operation: Element }
  | { readonly ok: false; readonly fault: SoapFault };

function clientFault(code: string, faultstring: string): ParsedSoapRequest {
  return { ok: false, fault: { faultcode: 'Client', faultstring, code } };
}

/** The element children of a node, in document order. */
export function childElements(node: Node): Element[] {
  const out: Element[] = [];
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === child.ELEMENT_NODE) out.push(child as Element);
  }
  return out;
}

/** True if `node` holds text other than whitespace directly (not inside child elements). */
export function hasOwnText(node: Node): boolean {
  for (let child = node.firstChild; child !== null; child = child.nextSibling) {
    const isText = child.nodeType === child.TEXT_NODE || child.nodeType === child.CDATA_SECTION_NODE;
    if (isText && (child.nodeValue ?? '').trim() !== '') return true;
  }
  return false;
}

/** The parser's message without xmldom's location suffix. */
function parseErrorMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\|\|@#\[.*$/s, '').replace(/^\[xmldom [a-zA-Z]+\]\s*/, '').replace(/\s+/g, ' ').trim().slice(0, 200);
}

/**
 * Takes a SOAP 1.1 request apart: checks the envelope (a DTD, malformed XML or a foreign envelope
 * are faults), reads the `jh:MessageId` header and returns the single element in the Body.
 * Header blocks marked `mustUnderstand="1"` other than MessageId get a MustUnderstand fault.
 */
export function parseSoapRequest(xml: string): ParsedSoapRequest {
  if (/<!DOCTYPE/i.test(xml)) return clientFault('DTD_NOT_ALLOWED', 'SOAP messages must not contain a DTD');
  let root: Element | null;
  try {
    root = new DOMParser({ onError: onErrorStopParsing }).parseFromString(xml, 'text/xml').documentElement;
  } catch (error) {
    return clientFault('MALFORMED_XML', `malformed XML: ${parseErrorMessage(error)}`);
  }
  if (!root) return clientFault('MALFORMED_XML', 'malformed XML: no root element');
  if (root.localName !== 'Envelope' || (root.namespaceURI !== SOAP11_ENV_NS && root.namespaceURI !== SOAP12_ENV_NS)) {
    return clientFault('NOT_SOAP', `expected a SOAP 1.1 Envelope, got <${root.nodeName}>`);
  }
  if (root.namespaceURI !== SOAP11_ENV_NS) {
    return { ok: false, fault: { faultcode: 'VersionMismatch', faultstring: 'only SOAP 1.1 envelopes are accepted', code: 'VERSION_MISMATCH' } };
  }
  const parts = childElements(root);
  const isSoap = (el: Element | undefined, name: string): el is Element =>
    el !== undefined && el.localName === name && el.namespaceURI === SOAP11_ENV_NS;
  const header = isSoap(parts[0], 'Header') ? parts[0] : undefined;
  const body = parts[header ? 1 : 0];
  if (!isSoap(body, 'Body') || parts.length !== (header ? 2 : 1)) {
    return clientFault('NOT_SOAP', 'the Envelope must hold an optional Header and then a Body, nothing else');
  }

  let messageId: string | undefined;
  for (const block of header ? childElements(header) : []) {
    if (block.localName === 'MessageId' && block.namespaceURI === JUNCTION_HEADERS_NS) {
      messageId = (block.textContent ?? '').trim() || undefined;
      continue;
    }
    const mustUnderstand = block.getAttributeNS(SOAP11_ENV_NS, 'mustUnderstand');
    if (mustUnderstand === '1' || mustUnderstand === 'true') {
      return {
        ok: false,
        fault: { faultcode: 'MustUnderstand', faultstring: `header {${block.namespaceURI ?? ''}}${block.localName ?? ''} is not understood`, code: 'MUST_UNDERSTAND' },
      };
    }
  }

  const content = childElements(body);
  if (content.length !== 1 || content[0] === undefined) {
    return clientFault('NOT_SOAP', `the Body must hold exactly one element, got ${content.length}`);
  }
  return { ok: true, messageId, operation: content[0] };
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11_ENV_NS}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

/** A response envelope: `<erp:{element}>` holding one child per field, values escaped. */
export function responseXml(element: string, fields: ReadonlyArray<readonly [string, string]>): string {
  const inner = fields.map(([name, value]) => `<erp:${name}>${escapeXml(value)}</erp:${name}>`).join('');
  return envelope(`<erp:${element} xmlns:erp="${ERP_NS}">${inner}</erp:${element}>`);
}

/**
 * A SOAP 1.1 fault envelope (send it with HTTP 500). Always carries a `<detail>` with an
 * `<erp:ErpFault>`, as .NET and Java clients expect for faults caused by the request body.
 */
export function faultXml(fault: SoapFault): string {
  const field = fault.field === undefined ? '' : `<erp:FIELD>${escapeXml(fault.field)}</erp:FIELD>`;
  return envelope(
    '<soap:Fault>'
    + `<faultcode>soap:${fault.faultcode}</faultcode>`
    + `<faultstring>${escapeXml(fault.faultstring)}</faultstring>`
    + `<detail><erp:ErpFault xmlns:erp="${ERP_NS}"><erp:CODE>${escapeXml(fault.code)}</erp:CODE>`
    + `<erp:MESSAGE>${escapeXml(fault.faultstring)}</erp:MESSAGE>${field}</erp:ErpFault></detail>`
    + '</soap:Fault>',
  );
}
