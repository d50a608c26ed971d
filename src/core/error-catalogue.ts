/**
 * The catalogue of every error Junction reports: a stable code, the HTTP status a caller sees,
 * whether the failure is worth retrying, and a one-line title. docs/errors.md explains each code
 * and how to fix it; a unit test keeps the two in step.
 *
 * The retryable flag, not where the error came from, decides retry versus FAILED.
 */
export interface ErrorSpec {
  /** HTTP status a REST caller sees (SOAP maps it to a Client/Sender or Server/Receiver fault). */
  readonly httpStatus: number;
  /** True when the same message may succeed if tried again later. */
  readonly retryable: boolean;
  /** Short, stable human title (RFC 9457 `title`). */
  readonly title: string;
}

function spec(httpStatus: number, retryable: boolean, title: string): ErrorSpec {
  return Object.freeze({ httpStatus, retryable, title });
}

export const ERROR_CATALOGUE = Object.freeze({
  // Configuration (boot time)
  JCT_CONFIG_UNREADABLE: spec(500, false, 'Configuration file cannot be read'),
  JCT_CONFIG_SYNTAX: spec(500, false, 'Configuration file is not valid YAML'),
  JCT_CONFIG_INVALID: spec(500, false, 'Configuration does not match its schema'),
  JCT_CONFIG_ENV_MISSING: spec(500, false, 'Configuration refers to an unset environment variable'),
  JCT_CONFIG_REFERENCE: spec(500, false, 'Configuration refers to something that does not exist'),

  // Requests (gateways)
  JCT_REQUEST_MALFORMED: spec(400, false, 'Request is malformed'),
  JCT_REQUEST_TOO_LARGE: spec(413, false, 'Request body is too large'),
  JCT_REQUEST_MEDIA_TYPE: spec(415, false, 'Unsupported request content type'),
  JCT_VALIDATION_FAILED: spec(422, false, 'Message failed validation'),
  JCT_NOT_FOUND: spec(404, false, 'No such resource'),
  JCT_MESSAGE_NOT_FOUND: spec(404, false, 'No such message'),
  JCT_METHOD_NOT_ALLOWED: spec(405, false, 'Method not allowed'),
  JCT_SOAP_OPERATION_UNKNOWN: spec(400, false, 'SOAP request names no operation of the service'),
  JCT_IDEMPOTENCY_KEY_REUSED: spec(422, false, 'Idempotency key already used with a different request'),
  JCT_IDEMPOTENCY_IN_PROGRESS: spec(409, true, 'The request with this idempotency key has not finished yet'),

  // Security (docs/security.md)
  JCT_AUTH_REQUIRED: spec(401, false, 'Authentication required'),
  JCT_AUTH_FAILED: spec(401, false, 'Authentication failed'),
  JCT_WSS_SIGNATURE_INVALID: spec(401, false, 'WS-Security signature refused'),
  JCT_WSS_HEADER_UNSIGNED: spec(400, false, 'Signed SOAP request carries a header Junction acts on unsigned'),
  JCT_AUTH_UNAVAILABLE: spec(503, true, 'Credentials cannot be checked right now'),
  JCT_FORBIDDEN: spec(403, false, 'Not allowed'),
  JCT_PAYLOAD_UNREADABLE: spec(500, false, 'Stored payload cannot be decrypted'),

  // Infrastructure
  JCT_STORE_UNAVAILABLE: spec(503, true, 'Transaction log unavailable'),
  JCT_BROKER_UNAVAILABLE: spec(503, true, 'Message broker unavailable'),
  JCT_BUS_MALFORMED_MESSAGE: spec(500, false, 'Message on the bus cannot be decoded'),
  JCT_REPLY_TIMEOUT: spec(504, false, 'No reply in time'),
  JCT_MESSAGE_IN_FLIGHT: spec(409, true, 'Another copy of the message is being processed'),

  // Processing and delivery
  JCT_TRANSFORM_FAILED: spec(500, false, 'Transformation failed'),
  JCT_ROUTE_NO_MATCH: spec(422, false, 'No recipient of the route matched the message'),
  JCT_ENDPOINT_UNREACHABLE: spec(502, true, 'Endpoint unreachable'),
  JCT_ENDPOINT_TIMEOUT: spec(504, true, 'Endpoint timed out'),
  JCT_ENDPOINT_SERVER_ERROR: spec(502, true, 'Endpoint answered with a server error'),
  JCT_ENDPOINT_THROTTLED: spec(503, true, 'Endpoint asked to slow down'),
  JCT_ENDPOINT_REJECTED: spec(502, false, 'Endpoint rejected the message'),
  JCT_ENDPOINT_CIRCUIT_OPEN: spec(503, true, 'Endpoint is considered down; its circuit is open'),

  // Operators (admin API, CLI, console; docs/operators.md)
  JCT_ADMIN_UNAUTHENTICATED: spec(401, false, 'Admin API credentials missing or not recognised'),
  JCT_ADMIN_FORBIDDEN: spec(403, false, 'The caller\'s role does not allow this'),
  JCT_REPLAY_REFUSED: spec(409, false, 'Replay or resolve refused'),
  JCT_REPLAY_JOB_CONFLICT: spec(409, false, 'The replay job is not in a state that allows this'),
  JCT_REPLAY_PAYLOAD_MASKED: spec(422, false, 'The edited payload still holds masked values'),

  // Anything not foreseen: a bug to report, never a stack trace to the caller.
  JCT_INTERNAL: spec(500, false, 'Internal error'),
});

/** A code from the catalogue, e.g. `JCT_VALIDATION_FAILED`. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** True when `code` is in the catalogue; used to rebuild errors read from the log or the bus. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}
