import { JunctionError } from '../../core/errors';
import { connectionFailure, proxyRefusal } from '../outbound-connection';

/** Longest piece of a backend's answer quoted in an error. */
const SNIPPET_LENGTH = 200;

function snippet(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '').replace(/\s{2,}/g, ' ').trim();
  return flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}…` : flat;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/** The text of a value node-soap parsed: a string, or `{ $value }` when the element had attributes. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return textOf(value[0]);
  const inner = record(value)?.['$value'];
  return inner === undefined ? undefined : textOf(inner);
}

/** A SOAP fault as node-soap parsed it (1.1 `faultcode/faultstring/detail` or 1.2 `Code/Reason/Detail`). */
export interface SoapFaultInfo {
  /** As sent, with its prefix: `soap:Client`, `env:Sender`, … */
  readonly code: string;
  readonly message: string;
  /** The `<detail>` content as compact JSON, if any. */
  readonly detail?: string;
}

/** The fault carried by a node-soap error (it keeps the parsed envelope in `error.root`), if any. */
export function faultOf(error: unknown): SoapFaultInfo | undefined {
  const root = record(record(error)?.['root']);
  const fault = record(record(record(root?.['Envelope'])?.['Body'])?.['Fault']);
  if (!fault) return undefined;
  const code = textOf(fault['faultcode']) ?? textOf(record(fault['Code'])?.['Value']) ?? '';
  const message = textOf(fault['faultstring']) ?? textOf(record(fault['Reason'])?.['Text']) ?? '';
  const rawDetail = fault['detail'] ?? fault['Detail'];
  const detail = rawDetail === undefined || rawDetail === null ? undefined : typeof rawDetail === 'string' ? rawDetail : JSON.stringify(rawDetail);
  return { code, message, ...(detail ? { detail } : {}) };
}

/** Fault codes (local part, before any `.` subcode) that say "this request is wrong": permanent. */
const PERMANENT_FAULTS = new Set(['Client', 'Sender', 'VersionMismatch', 'MustUnderstand', 'DataEncodingUnknown']);

/** True for a fault the caller caused (`Client`, `Sender`, …); Server/Receiver and unknown codes are worth retrying. */
export function isPermanentFault(code: string): boolean {
  const local = code.slice(code.lastIndexOf(':') + 1).split('.')[0] ?? '';
  return PERMANENT_FAULTS.has(local);
}

/** What the endpoint knew when the call failed. */
export interface CallFailure {
  readonly endpoint: string;
  readonly operation: string;
  readonly timeoutMs: number;
  /** The call's own time limit fired. */
  readonly timedOut: boolean;
  /** The endpoint was closed while the call was in flight. */
  readonly closed: boolean;
}

const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Classifies a failed SOAP call. A Client/Sender fault means the backend refuses this message
 * (permanent, JCT_ENDPOINT_REJECTED, quoting the faultstring); a Server fault or an HTTP 5xx
 * without a fault is JCT_ENDPOINT_SERVER_ERROR; no answer in time is JCT_ENDPOINT_TIMEOUT; a
 * refused or dropped connection is JCT_ENDPOINT_UNREACHABLE. Messages name the endpoint and the
 * operation, never the URL (it may hold credentials) nor a stack. Anything else is JCT_INTERNAL:
 * log the cause where this is called.
 */
export function errorForSoapCall(failure: CallFailure, error: unknown): JunctionError {
  const { endpoint, operation, timeoutMs } = failure;
  const base = { endpoint, operation };
  const fault = faultOf(error);
  const response = record(record(error)?.['response']);
  const status = typeof response?.['status'] === 'number' ? response['status'] : undefined;
  const withStatus = status === undefined ? base : { ...base, status };

  if (fault) {
    const details = { ...withStatus, faultcode: fault.code, ...(fault.detail ? { faultDetail: snippet(fault.detail) } : {}) };
    const said = fault.message ? `: ${snippet(fault.message)}` : '';
    if (isPermanentFault(fault.code)) {
      return new JunctionError('JCT_ENDPOINT_REJECTED', `Endpoint "${endpoint}" rejected ${operation} with SOAP fault ${fault.code}${said}`, { details, cause: error });
    }
    return new JunctionError('JCT_ENDPOINT_SERVER_ERROR', `Endpoint "${endpoint}" answered ${operation} with SOAP fault ${fault.code}${said}`, { details, cause: error });
  }

  if (status !== undefined) {
    const rawBody = record(error)?.['body'] ?? response?.['data'];
    const quoted = typeof rawBody === 'string' && rawBody.trim() !== '' ? `: ${snippet(rawBody)}` : '';
    if (status === 408) return new JunctionError('JCT_ENDPOINT_TIMEOUT', `Endpoint "${endpoint}" answered ${operation} with HTTP 408${quoted}`, { details: withStatus, cause: error });
    if (status === 429) return new JunctionError('JCT_ENDPOINT_THROTTLED', `Endpoint "${endpoint}" answered ${operation} with HTTP 429${quoted}`, { details: withStatus, cause: error });
    // Through a proxy: its own refusal, not the backend's (the same message may pass once it is fixed).
    if (status === 407) return proxyRefusal(endpoint, status, withStatus, error);
    if (status >= 400 && status < 500) {
      return new JunctionError('JCT_ENDPOINT_REJECTED', `Endpoint "${endpoint}" refused ${operation} with HTTP ${status} and no SOAP fault${quoted}`, { details: withStatus, cause: error });
    }
    const what = status >= 500 ? `HTTP ${status} and no SOAP fault` : `HTTP ${status} and no SOAP response`;
    return new JunctionError('JCT_ENDPOINT_SERVER_ERROR', `Endpoint "${endpoint}" answered ${operation} with ${what}${quoted}`, { details: withStatus, cause: error });
  }

  const code = record(error)?.['code'];
  if (failure.timedOut || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return new JunctionError('JCT_ENDPOINT_TIMEOUT', `Endpoint "${endpoint}" did not answer ${operation} within ${timeoutMs} ms`, { details: { ...base, timeoutMs }, cause: error });
  }
  if (failure.closed) {
    return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `Endpoint "${endpoint}" was closed while calling ${operation}`, { details: base, cause: error });
  }
  const connection = connectionFailure(endpoint, error, base);
  if (connection) return connection;
  if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) {
    return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `Endpoint "${endpoint}" is unreachable (${code})`, { details: base, cause: error });
  }
  return new JunctionError('JCT_INTERNAL', `Endpoint "${endpoint}" failed to call ${operation}; see the Junction log for details.`, { details: base, cause: error });
}
