import { ERROR_CATALOGUE, type ErrorCode } from '../../core/error-catalogue';
import { JunctionError } from '../../core/errors';
import { envelopePrefix, writeEnvelope } from './soap-envelope';
import { envelopeNamespace, NS, soapContentType, type SoapVersion } from './soap-namespaces';
import { escapeAttribute, escapeText } from './xml-dom';
import type { QName } from './xsd-model';
import type { XmlViolation } from './xsd-validator';

/** The SOAP-level faults that are not about the body: a wrong envelope version, a header nobody understands. */
export class SoapProtocolError extends JunctionError {
  constructor(
    readonly soapCode: 'VersionMismatch' | 'MustUnderstand',
    message: string,
    readonly notUnderstood: readonly QName[] = [],
  ) {
    super('JCT_REQUEST_MALFORMED', message);
  }
}

/** What went wrong, independent of the SOAP version it is written in. */
export interface SoapFault {
  /** Client/Server in SOAP 1.1 terms; Sender/Receiver in 1.2. */
  readonly kind: 'Client' | 'Server' | 'VersionMismatch' | 'MustUnderstand';
  /** faultstring / Reason: for the caller, never internal text. */
  readonly reason: string;
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** The status the error has in the catalogue (for Retry-After), not the HTTP status of the fault. */
  readonly catalogueStatus: number;
  readonly messageId?: string;
  readonly requestId?: string;
  readonly violations: readonly XmlViolation[];
  readonly notUnderstood: readonly QName[];
  /** A WS-Security 1.1 fault code (`wsse:FailedCheck`, …) for a refused signature: the faultcode (1.1) or first Subcode (1.2). */
  readonly wsseFault?: string;
}

const WSSE_FAULTS = new Set(['InvalidSecurity', 'UnsupportedAlgorithm', 'FailedCheck', 'FailedAuthentication', 'MessageExpired', 'SecurityTokenUnavailable']);

/**
 * The fault for anything thrown while serving a request. A JunctionError under HTTP 500 is the
 * caller's doing (Client/Sender), anything else the service's (Server/Receiver). Errors that are
 * not JunctionErrors, and JCT_INTERNAL, become "internal error, quote request id …" with no
 * internal text; log the original where you call this.
 */
export function toSoapFault(error: unknown, requestId: string): SoapFault {
  const failure = error instanceof JunctionError ? error : undefined;
  const code: ErrorCode = failure?.code ?? 'JCT_INTERNAL';
  const internal = code === 'JCT_INTERNAL';
  const messageId = failure?.details.messageId;
  return {
    kind: error instanceof SoapProtocolError ? error.soapCode : failure && failure.httpStatus < 500 ? 'Client' : 'Server',
    reason: internal || !failure ? `Internal error; quote request id ${requestId} to your Junction operator.` : failure.message,
    code,
    retryable: failure?.retryable ?? false,
    catalogueStatus: ERROR_CATALOGUE[code].httpStatus,
    ...(typeof messageId === 'string' ? { messageId } : {}),
    requestId,
    violations: failure?.violations ?? [],
    notUnderstood: error instanceof SoapProtocolError ? error.notUnderstood : [],
    ...(typeof failure?.details.wsseFault === 'string' && WSSE_FAULTS.has(failure.details.wsseFault) ? { wsseFault: failure.details.wsseFault } : {}),
  };
}

/** A fault ready to send. */
export interface RenderedFault {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The `jct:JunctionFault` detail element (wsdl/crm/faults.xsd). */
export function writeJunctionFault(fault: SoapFault): string {
  const v = (violation: XmlViolation): string =>
    `<jct:violation path="${escapeAttribute(violation.path)}" message="${escapeAttribute(violation.message)}"${violation.line ? ` line="${violation.line}"` : ''}/>`;
  return `<jct:JunctionFault xmlns:jct="${NS.junctionFaults}">`
    + `<jct:code>${fault.code}</jct:code>`
    + `<jct:retryable>${fault.retryable}</jct:retryable>`
    + (fault.messageId ? `<jct:messageId>${escapeText(fault.messageId)}</jct:messageId>` : '')
    + (fault.requestId ? `<jct:requestId>${escapeText(fault.requestId)}</jct:requestId>` : '')
    + fault.violations.map(v).join('')
    + '</jct:JunctionFault>';
}

/** `qname="p:local"` with its namespace declared, for NotUnderstood and SupportedEnvelope. */
function qnameAttribute(name: QName, prefix: string): string {
  return name.namespace
    ? `qname="${prefix}:${escapeAttribute(name.local)}" xmlns:${prefix}="${escapeAttribute(name.namespace)}"`
    : `qname="${escapeAttribute(name.local)}"`;
}

function write11(fault: SoapFault, extraHeader: string): string {
  const withDetail = fault.kind === 'Client' || fault.kind === 'Server';
  return writeEnvelope('1.1', '<soap:Fault>'
    + (fault.wsseFault !== undefined && fault.kind === 'Client'
      ? `<faultcode xmlns:wsse="${NS.wsse}">wsse:${fault.wsseFault}</faultcode>`
      : `<faultcode>soap:${fault.kind}</faultcode>`)
    + `<faultstring>${escapeText(fault.reason)}</faultstring>`
    + (withDetail ? `<detail>${writeJunctionFault(fault)}</detail>` : '')
    + '</soap:Fault>', extraHeader || undefined);
}

/** SOAP 1.2 Subcode: the JCT code, under the WS-Security fault code when there is one. */
function subcode12(fault: SoapFault, p: string): string {
  const jct = `<${p}:Subcode><${p}:Value xmlns:jct="${NS.junctionFaults}">jct:${fault.code}</${p}:Value></${p}:Subcode>`;
  return fault.wsseFault === undefined ? jct : `<${p}:Subcode><${p}:Value xmlns:wsse="${NS.wsse}">wsse:${fault.wsseFault}</${p}:Value>${jct}</${p}:Subcode>`;
}

function write12(fault: SoapFault, extraHeader: string): string {
  const p = envelopePrefix('1.2');
  const value = fault.kind === 'Client' ? 'Sender' : fault.kind === 'Server' ? 'Receiver' : fault.kind;
  const withDetail = fault.kind === 'Client' || fault.kind === 'Server';
  let header: string | undefined;
  if (fault.kind === 'VersionMismatch') {
    header = `<${p}:Upgrade>`
      + (['1.2', '1.1'] as const).map((v, i) => `<${p}:SupportedEnvelope ${qnameAttribute({ namespace: envelopeNamespace(v), local: 'Envelope' }, `v${i}`)}/>`).join('')
      + `</${p}:Upgrade>`;
  } else if (fault.kind === 'MustUnderstand') {
    header = fault.notUnderstood.map((q) => `<${p}:NotUnderstood ${qnameAttribute(q, 'h')}/>`).join('');
  }
  const body = `<${p}:Fault>`
    + `<${p}:Code><${p}:Value>${p}:${value}</${p}:Value>`
    + (withDetail ? subcode12(fault, p) : '')
    + `</${p}:Code>`
    + `<${p}:Reason><${p}:Text xml:lang="en">${escapeText(fault.reason)}</${p}:Text></${p}:Reason>`
    + (withDetail ? `<${p}:Detail>${writeJunctionFault(fault)}</${p}:Detail>` : '')
    + `</${p}:Fault>`;
  return writeEnvelope('1.2', body, `${header ?? ''}${extraHeader}` || undefined);
}

/**
 * Writes a fault the way each version's clients expect it. SOAP 1.1: `soap:Fault` with
 * faultcode/faultstring/detail, always HTTP 500. SOAP 1.2: Code/Value (+ Subcode with the JCT
 * code), Reason/Text xml:lang="en", Detail; HTTP 400 for Sender, 500 otherwise. A retryable
 * 503-class error adds `Retry-After`. `extraHeader`: header blocks to add (WS-Addressing).
 */
export function renderFault(fault: SoapFault, version: SoapVersion, extraHeader = ''): RenderedFault {
  const status = version === '1.2' && fault.kind === 'Client' ? 400 : 500;
  return {
    status,
    contentType: soapContentType(version),
    headers: fault.retryable && fault.catalogueStatus === 503 ? { 'Retry-After': '5' } : {},
    body: version === '1.1' ? write11(fault, extraHeader) : write12(fault, extraHeader),
  };
}
