import type { Reply } from '../core/broker';
import { decodeEnvelope } from '../core/envelope';
import { JunctionError, type SerializedError, type Violation } from '../core/errors';

/**
 * The wire form of a {@link Reply}: UTF-8 JSON `{ requestId, outcome, message | error }`, where
 * `message` is the envelope in the JSON form of `encodeEnvelope` (its body stays text, so
 * "250.00" stays "250.00") and `error` is the SerializedError as is.
 */
export function encodeReply(reply: Reply): Buffer {
  checkRequestId(reply.requestId);
  const plain = reply.outcome === 'ok'
    ? { requestId: reply.requestId, outcome: 'ok', message: reply.message }
    : { requestId: reply.requestId, outcome: 'error', error: reply.error };
  return Buffer.from(JSON.stringify(plain), 'utf8');
}

/** Throws a RangeError unless `requestId` is a non-empty string (a programming error in the caller). */
export function checkRequestId(requestId: unknown): asserts requestId is string {
  if (typeof requestId !== 'string' || requestId === '') {
    throw new RangeError(`A reply's requestId must be a non-empty string (got ${JSON.stringify(requestId)}).`);
  }
}

/**
 * Parses and checks the wire form; throws JCT_BUS_MALFORMED_MESSAGE naming the first problem.
 * Only the known fields are kept.
 */
export function decodeReply(data: Buffer | string): Reply {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (error) {
    throw malformed('is not JSON', error);
  }
  if (!isRecord(value)) throw malformed('is not a JSON object');
  const { requestId, outcome } = value;
  if (typeof requestId !== 'string' || requestId === '') throw malformed('lacks the string field "requestId"');
  if (outcome === 'ok') {
    let message;
    try {
      // decodeEnvelope checks the wire form; the nested object is that form once more as text.
      message = decodeEnvelope(JSON.stringify(value.message ?? null));
    } catch (error) {
      throw malformed(`carries an invalid message (${error instanceof Error ? error.message : String(error)})`, error);
    }
    return Object.freeze({ requestId, outcome, message });
  }
  if (outcome === 'error') return Object.freeze({ requestId, outcome, error: decodeSerializedError(value.error) });
  throw malformed('has an unknown outcome (expected "ok" or "error")');
}

function decodeSerializedError(value: unknown): SerializedError {
  if (!isRecord(value)) throw malformed('lacks the object field "error"');
  const { code, message, retryable, violations, details } = value;
  if (typeof code !== 'string' || !code.startsWith('JCT_')) throw malformed('has an error without a JCT_ code');
  if (typeof message !== 'string') throw malformed('has an error without a message');
  if (typeof retryable !== 'boolean') throw malformed('has an error without a boolean "retryable"');
  if (violations !== undefined && !(Array.isArray(violations) && violations.every(isViolation))) {
    throw malformed('has an error with invalid violations');
  }
  if (details !== undefined && !(isRecord(details) && Object.values(details).every(isDetailValue))) {
    throw malformed('has an error with invalid details');
  }
  // Codes this version does not know are kept as sent: JunctionError.fromJSON maps them to JCT_INTERNAL.
  return Object.freeze({
    code: code as SerializedError['code'],
    message,
    retryable,
    ...(violations === undefined ? {} : { violations: (violations as Violation[]).map((v) => ({ path: v.path, message: v.message })) }),
    ...(details === undefined ? {} : { details: { ...(details as Record<string, string | number | boolean>) } }),
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isViolation(value: unknown): value is Violation {
  return isRecord(value) && typeof value.path === 'string' && typeof value.message === 'string';
}

function isDetailValue(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function malformed(problem: string, cause?: unknown): JunctionError {
  return new JunctionError('JCT_BUS_MALFORMED_MESSAGE', `Reply on the bus ${problem}.`,
    cause === undefined ? {} : { cause });
}
