import type { Envelope, MessagePattern } from '../../core/envelope';
import { JunctionError, type SerializedError } from '../../core/errors';
import { isMessageStatus, type MessageStatus } from '../../core/message-status';
import type { MessageRecord, MessageSummary, ReceiveOptions, StageEvent, StageRecord } from '../../core/transaction-log';
import { decryptStored } from '../../security/payload-cipher';
import { COLUMN_LIMITS, type MessageRow, type StageRow } from './entities';
import { storedPayloads } from './shared-payloads';

/**
 * What the log does to data on its way to and from the database: payloads encrypted at rest
 * (security/payload-cipher.ts) and errors with sensitive data masked (security/masking). The
 * default stores payloads as they are, and still refuses to pass an encrypted value off as one.
 */
export interface StoreProtection {
  /** The stored form of a payload; `context` names the row and column (bound into the ciphertext). */
  encrypt(plain: string, context: string): string;
  /** The payload back from its stored form (a value stored before encryption comes back as it is). */
  decrypt(stored: string, context: string): string;
  /** An error as it may be stored: sensitive data masked. */
  redactError(error: SerializedError): SerializedError;
}

/** No encryption, no masking. */
export const NO_PROTECTION: StoreProtection = Object.freeze({
  encrypt: (plain: string) => plain,
  decrypt: (stored: string, context: string) => decryptStored(stored, context),
  redactError: (error: SerializedError) => error,
});

/** The context a message's own payload is encrypted under. */
export const messageContext = (id: string): string => `${id}:payload`;
/** The context of a stage payload (any stage of that message). */
export const stageContext = (messageId: string): string => `${messageId}:stage`;

/** An event as it may be stored: its payload encrypted, its error masked. */
export function protectEvent(messageId: string, event: StageEvent, protection: StoreProtection): StageEvent {
  if (protection === NO_PROTECTION) return event;
  return {
    ...event,
    ...(event.payload !== undefined ? { payload: protection.encrypt(event.payload, stageContext(messageId)) } : {}),
    ...(event.error !== undefined ? { error: protection.redactError(event.error) } : {}),
  };
}

/** Stored in place of an error whose JSON cannot be read back (should never happen). */
const UNREADABLE_ERROR: SerializedError = Object.freeze({
  code: 'JCT_INTERNAL',
  message: 'The stored error could not be read.',
  retryable: false,
});

/** Reads a stored SerializedError back exactly as it was written. */
export function parseStoredError(json: string | null): SerializedError | undefined {
  if (json === null) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string') {
      return value as SerializedError;
    }
  } catch {
    // fall through
  }
  return UNREADABLE_ERROR;
}

function asStatus(value: string): MessageStatus {
  if (!isMessageStatus(value)) throw new Error(`The transaction log holds an unknown status "${value}".`);
  return value;
}

function asPattern(value: string): MessagePattern {
  if (value !== 'one-way' && value !== 'request-reply') {
    throw new Error(`The transaction log holds an unknown pattern "${value}".`);
  }
  return value;
}

/** Cuts free text to its column length so both dialects store the same thing. */
export function fitDetail(detail: string | undefined): string | null {
  if (detail === undefined) return null;
  return detail.length <= COLUMN_LIMITS.detail ? detail : `${detail.slice(0, COLUMN_LIMITS.detail - 1)}…`;
}

/**
 * Checks what the columns cannot hold, the same way on both dialects (SQLite would store anything):
 * over-long caller-supplied fields are JCT_REQUEST_MALFORMED; a broken envelope is a bug.
 */
export function checkEnvelope(envelope: Envelope): void {
  const fields = ['correlationId', 'routeId', 'source', 'businessKey', 'replayOf', 'contentType'] as const;
  for (const field of fields) {
    const value = envelope[field];
    if (value !== undefined && value.length > COLUMN_LIMITS[field]) {
      throw new JunctionError('JCT_REQUEST_MALFORMED', `${field} is longer than ${COLUMN_LIMITS[field]} characters.`);
    }
  }
  if (Number.isNaN(Date.parse(envelope.receivedAt))) {
    throw new Error(`Message ${envelope.id} has an invalid receivedAt "${envelope.receivedAt}".`);
  }
  if (!Number.isInteger(envelope.attempt) || envelope.attempt < 1) {
    throw new Error(`Message ${envelope.id} has an invalid attempt ${String(envelope.attempt)}.`);
  }
}

/** Checks the idempotency facts the same way on both dialects. */
export function checkReceiveOptions(options: ReceiveOptions): void {
  const { idempotencyKey, bodyHash } = options;
  if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > COLUMN_LIMITS.idempotencyKey)) {
    throw new JunctionError('JCT_REQUEST_MALFORMED', `The idempotency key must hold 1 to ${COLUMN_LIMITS.idempotencyKey} characters.`);
  }
  if (bodyHash !== undefined && bodyHash.length > COLUMN_LIMITS.bodyHash) {
    throw new Error(`bodyHash is longer than ${COLUMN_LIMITS.bodyHash} characters.`);
  }
}

/** The message row a freshly received envelope becomes. */
export function messageRowOf(envelope: Envelope, now: Date, options: ReceiveOptions = {}, protection: StoreProtection = NO_PROTECTION): MessageRow {
  return {
    id: envelope.id,
    correlationId: envelope.correlationId,
    routeId: envelope.routeId,
    source: envelope.source,
    pattern: envelope.pattern,
    businessKey: envelope.businessKey ?? null,
    replayOf: envelope.replayOf ?? null,
    contentType: envelope.contentType,
    headers: JSON.stringify(envelope.headers),
    // An empty body (capture: none) stays empty: there is nothing to hide, and the sweep looks for ''.
    payload: envelope.body === '' ? '' : protection.encrypt(envelope.body, messageContext(envelope.id)),
    status: 'RECEIVED',
    attempts: envelope.attempt,
    lastError: null,
    lastErrorCode: null,
    receivedAt: new Date(envelope.receivedAt),
    updatedAt: now,
    idempotencyKey: options.idempotencyKey ?? null,
    bodyHash: options.bodyHash ?? null,
    errorEndpoint: null,
    errorGroup: null,
    resolution: null,
    resolvedAt: null,
    replayedBy: null,
    holds: 0,
  };
}

/**
 * The stage row an event becomes (`seq` is assigned by the database); `payloadOf` names the earlier
 * stage whose payload it repeats, or `@received` for the message's own, when the event's own is
 * left out (shared-payloads.ts).
 */
export function stageRowOf(messageId: string, event: StageEvent, now: Date, payloadOf?: string): Omit<StageRow, 'seq'> {
  return {
    messageId,
    stage: event.stage,
    status: event.status,
    attempt: event.attempt,
    at: event.at ?? now,
    durationMs: event.durationMs === undefined ? null : Math.round(event.durationMs),
    endpoint: event.endpoint ?? null,
    detail: fitDetail(event.detail),
    errorCode: event.error?.code ?? null,
    error: event.error === undefined ? null : JSON.stringify(event.error),
    payload: event.payload ?? null,
    payloadOf: payloadOf ?? null,
  };
}

/** A message row as the contract shows it (optional fields absent rather than undefined). */
export function toSummary(row: MessageRow): MessageSummary {
  const lastError = parseStoredError(row.lastError);
  return {
    id: row.id,
    correlationId: row.correlationId,
    routeId: row.routeId,
    source: row.source,
    pattern: asPattern(row.pattern),
    status: asStatus(row.status),
    attempts: row.attempts,
    ...(row.businessKey !== null ? { businessKey: row.businessKey } : {}),
    ...(row.replayOf !== null ? { replayOf: row.replayOf } : {}),
    ...(lastError !== undefined ? { lastError } : {}),
    receivedAt: row.receivedAt,
    updatedAt: row.updatedAt,
    ...operatorFields(row),
  };
}

/** The operator columns of migration 4, present only when set. */
function operatorFields(row: MessageRow): Partial<MessageSummary> {
  return {
    ...(row.errorEndpoint != null ? { errorEndpoint: row.errorEndpoint } : {}),
    ...(row.errorGroup != null ? { errorGroup: row.errorGroup } : {}),
    ...(row.resolution === 'replayed' || row.resolution === 'resolved' ? { resolution: row.resolution } : {}),
    ...(row.resolvedAt != null ? { resolvedAt: row.resolvedAt } : {}),
    ...(row.replayedBy != null ? { replayedBy: row.replayedBy } : {}),
  };
}

/**
 * A stage row as the contract shows it; `payload` is its payload, references resolved and
 * decrypted (absent when not kept).
 */
function toStage(row: StageRow, payload: string | undefined): StageRecord {
  const error = parseStoredError(row.error);
  return {
    seq: Number(row.seq),
    stage: row.stage,
    status: asStatus(row.status),
    attempt: row.attempt,
    at: row.at,
    ...(row.durationMs !== null ? { durationMs: row.durationMs } : {}),
    ...(row.endpoint !== null ? { endpoint: row.endpoint } : {}),
    ...(row.detail !== null ? { detail: row.detail } : {}),
    ...(error !== undefined ? { error } : {}),
    ...(payload !== undefined ? { payload } : {}),
  };
}

/**
 * A message's stage rows (in seq order) as the contract shows them, repeated payloads given back;
 * `received` is the message's own payload, decrypted. A stage repeating it reads as having no
 * payload when that was not kept (an empty one: recorded with capture: none).
 */
function stagesOf(rows: readonly StageRow[], protection: StoreProtection, received: string): StageRecord[] {
  const payloads = storedPayloads(rows);
  return rows.map((row, i) => {
    const stored = payloads[i] ?? null;
    const payload = stored === null ? undefined
      : stored === 'received' ? (received === '' ? undefined : received)
        : protection.decrypt(stored.stage, stageContext(row.messageId));
    return toStage(row, payload);
  });
}

/** A full message: summary, payload, headers and its stages (already ordered by seq). */
export function toRecord(row: MessageRow, stages: readonly StageRow[], protection: StoreProtection = NO_PROTECTION): MessageRecord {
  const payload = protection.decrypt(row.payload, messageContext(row.id));
  return {
    ...toSummary(row),
    contentType: row.contentType,
    headers: JSON.parse(row.headers) as Record<string, string>,
    payload,
    stages: stagesOf(stages, protection, payload),
    ...(row.idempotencyKey !== null ? { idempotencyKey: row.idempotencyKey } : {}),
    ...(row.bodyHash !== null ? { bodyHash: row.bodyHash } : {}),
  };
}
