import { JunctionError } from '../../core/errors';
import { connectionFailure, proxyRefusal } from '../outbound-connection';

/** Longest piece of a backend's answer quoted in an error (answers may be large or binary). */
const SNIPPET_LENGTH = 200;

function snippet(body: string): string {
  const flat = body.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return flat.length > SNIPPET_LENGTH ? `${flat.slice(0, SNIPPET_LENGTH)}…` : flat;
}

/**
 * Classifies a backend's non-2xx answer: 5xx, 408 and 429 are worth retrying; other 4xx mean the
 * backend refused this message and retrying will not help.
 */
export function errorForStatus(endpoint: string, status: number, body: string): JunctionError {
  const details = { endpoint, status };
  // Through a proxy: its own refusal, not the backend's (the same message may pass once it is fixed).
  if (status === 407) return proxyRefusal(endpoint, status, details);
  const quoted = body ? `: ${snippet(body)}` : '';
  if (status === 408) return new JunctionError('JCT_ENDPOINT_TIMEOUT', `Endpoint "${endpoint}" answered 408 Request Timeout${quoted}`, { details });
  if (status === 429) return new JunctionError('JCT_ENDPOINT_THROTTLED', `Endpoint "${endpoint}" answered 429 Too Many Requests${quoted}`, { details });
  if (status >= 500) return new JunctionError('JCT_ENDPOINT_SERVER_ERROR', `Endpoint "${endpoint}" answered HTTP ${status}${quoted}`, { details });
  return new JunctionError('JCT_ENDPOINT_REJECTED', `Endpoint "${endpoint}" refused the message with HTTP ${status}${quoted}`, { details });
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Classifies a transport failure (no HTTP answer): timeouts and unreachable backends are retryable. */
export function errorForTransport(endpoint: string, error: unknown, timeoutMs: number): JunctionError {
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError' || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return new JunctionError('JCT_ENDPOINT_TIMEOUT', `Endpoint "${endpoint}" did not answer within ${timeoutMs} ms`, {
      details: { endpoint, timeoutMs }, cause: error,
    });
  }
  const connection = connectionFailure(endpoint, error, { endpoint });
  if (connection) return connection;
  const reason = typeof code === 'string' ? code : 'connection failed';
  return new JunctionError('JCT_ENDPOINT_UNREACHABLE', `Endpoint "${endpoint}" is unreachable (${reason})`, {
    details: { endpoint }, cause: error,
  });
}
