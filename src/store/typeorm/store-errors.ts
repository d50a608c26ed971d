import { JunctionError } from '../../core/errors';

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
  // TLS (store.tls): the server offers none, or its certificate is not trusted
  'HANDSHAKE_NO_SSL_SUPPORT', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID',
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
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: the server\'s certificate is self-signed and not in store.tls.ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS: the server\'s certificate chain is not trusted (store.tls.ca)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: the server\'s certificate cannot be verified (store.tls.ca)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the server\'s certificate does not name this host (store.tls.servername)',
};

/** The driver's error code, looking through TypeORM's QueryFailedError and `cause` chains. */
export function driverErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const record = current as { code?: unknown; driverError?: unknown; cause?: unknown };
    if (typeof record.code === 'string' && record.code !== '') return record.code;
    current = record.driverError ?? record.cause;
  }
  return undefined;
}

/** True when the error means the database is unreachable, overloaded or timed out (worth retrying later). */
export function isUnavailable(error: unknown): boolean {
  const code = driverErrorCode(error);
  if (code === undefined) return false;
  return UNAVAILABLE_CODES.has(code) || SQLITE_UNAVAILABLE.some((prefix) => code === prefix || code.startsWith(`${prefix}_`));
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
  const code = driverErrorCode(error) ?? 'unknown';
  const reason = PLAIN_REASONS[code] ?? (code.startsWith('SQLITE_') ? 'database busy or unreadable' : 'database unreachable');
  return new JunctionError('JCT_STORE_UNAVAILABLE',
    `The transaction log (${targetLabel}) is unavailable: ${reason} (${code}).`, { cause: error, details: { driverCode: code } });
}
