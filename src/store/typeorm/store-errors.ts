import { JunctionError } from '../../core/errors';
import { tlsFailureOf, type TlsFailure } from '../../security/tls/tls-failure';

/** Driver error codes meaning "the database cannot be reached or is overloaded right now". */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  // Node sockets (mysql2 passes them through)
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  // mysql2 protocol
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  // MySQL / MariaDB server
  'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS', 'ER_SERVER_SHUTDOWN', 'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK', 'ER_QUERY_INTERRUPTED', 'ER_NET_READ_INTERRUPTED', 'ER_NET_WRITE_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT', 'ER_STATEMENT_TIMEOUT', 'ER_QUERY_TIMEOUT',
  // unit-of-work.ts: an operation past its deadline
  'OPERATION_TIMEOUT',
  // TLS (store.tls): the server offers none (mysql2); a failed handshake counts too (tlsFailureOfDriver)
  'HANDSHAKE_NO_SSL_SUPPORT',
]);

/** SQLite primary codes (better-sqlite3 reports extended ones, e.g. SQLITE_BUSY_SNAPSHOT). */
const SQLITE_UNAVAILABLE = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_FULL', 'SQLITE_PROTOCOL'];

const PLAIN_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ETIMEDOUT: 'connection timed out',
  PROTOCOL_CONNECTION_LOST: 'connection lost',
  PROTOCOL_SEQUENCE_TIMEOUT: 'query timed out',
  OPERATION_TIMEOUT: 'operation timed out',
  ER_CON_COUNT_ERROR: 'too many connections',
  ER_LOCK_WAIT_TIMEOUT: 'lock wait timed out',
  ER_LOCK_DEADLOCK: 'deadlock persisted after retries',
  HANDSHAKE_NO_SSL_SUPPORT: 'the server does not offer TLS, and store.tls asks for it',
};

/** A failed TLS handshake, read as the endpoints and the JWKS fetch read it (tls-failure.ts), with the store's options to set. */
const TLS_REASONS: Readonly<Record<TlsFailure, string>> = {
  untrusted: 'TLS: the server\'s certificate is not trusted; give the CA that signed it in store.tls.ca',
  hostname: 'TLS: the server\'s certificate is not issued for the host in store.url; connect by a name it has',
  expired: 'TLS: the server\'s certificate is not valid now (expired, or not yet valid)',
  handshake: 'TLS: the handshake failed; if the server asks for a client certificate, give it in store.tls.cert and store.tls.key',
};

/** The driver's error (its code and message), looking through TypeORM's QueryFailedError and `cause` chains. */
function driverError(error: unknown): { readonly code: string; readonly message: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const record = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof record.code === 'string' && record.code !== '') return { code: record.code, message: typeof record.message === 'string' ? record.message : '' };
    current = record.driverError ?? record.cause;
  }
  return undefined;
}

/** The driver's error code, looking through TypeORM's QueryFailedError and `cause` chains. */
export function driverErrorCode(error: unknown): string | undefined {
  return driverError(error)?.code;
}

/**
 * mysql2 reports every failed TLS handshake as HANDSHAKE_SSL_ERROR, keeping only the message of
 * Node's error (OpenSSL's text for a failed certificate check): the codes those texts stand for.
 */
const HANDSHAKE_TEXTS: readonly (readonly [RegExp, string])[] = [
  [/^self[- ]signed certificate in certificate chain/i, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [/^self[- ]signed certificate/i, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  [/^unable to verify the first certificate/i, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [/^unable to get local issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  [/^unable to get issuer certificate/i, 'UNABLE_TO_GET_ISSUER_CERT'],
  [/^certificate has expired/i, 'CERT_HAS_EXPIRED'],
  [/^certificate is not yet valid/i, 'CERT_NOT_YET_VALID'],
  [/^certificate revoked/i, 'CERT_REVOKED'],
  [/^Hostname\/IP does not match certificate's altnames/i, 'ERR_TLS_CERT_ALTNAME_INVALID'],
];

/**
 * A failed TLS handshake as every client of Junction reads it (tls-failure.ts), and the code that
 * says so: the driver's, or the one mysql2's HANDSHAKE_SSL_ERROR stands for (a handshake failure
 * when its text is not one of a certificate check). Undefined for anything that is not TLS.
 */
function tlsFailureOfDriver(failure: { readonly code: string; readonly message: string }): { readonly kind: TlsFailure; readonly code: string } | undefined {
  const code = failure.code === 'HANDSHAKE_SSL_ERROR' ? HANDSHAKE_TEXTS.find(([text]) => text.test(failure.message))?.[1] ?? failure.code : failure.code;
  const kind = tlsFailureOf(code) ?? (code === 'HANDSHAKE_SSL_ERROR' ? 'handshake' : undefined);
  return kind === undefined ? undefined : { kind, code };
}

/** True when the error means the database is unreachable, overloaded or timed out (worth retrying later). */
export function isUnavailable(error: unknown): boolean {
  const failure = driverError(error);
  if (failure === undefined) return false;
  const { code } = failure;
  return UNAVAILABLE_CODES.has(code) || tlsFailureOfDriver(failure) !== undefined || SQLITE_UNAVAILABLE.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
}

/** True for a transaction the server rolled back to break a deadlock; the whole transaction may be retried. */
export function isDeadlock(error: unknown): boolean {
  return driverErrorCode(error) === 'ER_LOCK_DEADLOCK';
}

/** Tries of a transaction that keeps being chosen as a deadlock's victim (the first included). */
export const DEADLOCK_ATTEMPTS = 3;

/**
 * Whether to try a failed transaction again after `attempt` tries: after a short random pause, so
 * the transactions that deadlocked do not meet again at once. False once the tries are used up or
 * for any error but a deadlock.
 */
export async function retryAfterDeadlock(error: unknown, attempt: number): Promise<boolean> {
  if (!isDeadlock(error) || attempt >= DEADLOCK_ATTEMPTS) return false;
  await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.floor(Math.random() * 10)));
  return true;
}

/** True when an insert hit an existing primary key. */
export function isDuplicateKey(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * True when a duplicate-key error came from the idempotency index (route_id, idempotency_key) rather
 * than the primary key: MySQL names the index in the message, SQLite the columns.
 */
export function isIdempotencyConflict(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const record = current as { message?: unknown; sqlMessage?: unknown; driverError?: unknown; cause?: unknown };
    for (const text of [record.sqlMessage, record.message]) {
      if (typeof text === 'string' && /idempotency/i.test(text)) return true;
    }
    current = record.driverError ?? record.cause;
  }
  return false;
}

/**
 * Maps an unavailable-database error to JCT_STORE_UNAVAILABLE (503, retryable) with a plain
 * message naming the target (never credentials or SQL); returns every other error unchanged.
 */
export function toStoreError(error: unknown, targetLabel: string): unknown {
  if (error instanceof JunctionError || !isUnavailable(error)) return error;
  const failure = driverError(error) ?? { code: 'unknown', message: '' };
  const { code } = failure;
  const tls = tlsFailureOfDriver(failure);
  if (tls !== undefined) {
    return new JunctionError('JCT_STORE_UNAVAILABLE',
      `The transaction log (${targetLabel}) is unavailable: ${TLS_REASONS[tls.kind]} (${tls.code}).`, { cause: error, details: { driverCode: code, tls: tls.code } });
  }
  const reason = PLAIN_REASONS[code] ?? (code.startsWith('SQLITE_') ? 'database busy or unreadable' : 'database unreachable');
  return new JunctionError('JCT_STORE_UNAVAILABLE',
    `The transaction log (${targetLabel}) is unavailable: ${reason} (${code}).`, { cause: error, details: { driverCode: code } });
}
