import type { Envelope } from '../core/envelope';
import type { MessageRecord } from '../core/transaction-log';

/**
 * The envelope a stored message is published as again (by the recovery sweep): its recorded id,
 * headers and original body, at `attempt` (default: the highest the log has seen).
 */
export function envelopeOf(record: MessageRecord, attempt: number = Math.max(1, record.attempts), headers: Readonly<Record<string, string>> = {}): Envelope {
  return Object.freeze({
    id: record.id, correlationId: record.correlationId, routeId: record.routeId, pattern: record.pattern,
    source: record.source, headers: Object.freeze({ ...record.headers, ...headers }), contentType: record.contentType,
    body: record.payload, attempt,
    ...(record.businessKey !== undefined ? { businessKey: record.businessKey } : {}),
    ...(record.replayOf !== undefined ? { replayOf: record.replayOf } : {}),
    receivedAt: record.receivedAt.toISOString(),
  });
}
