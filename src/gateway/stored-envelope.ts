import type { Envelope } from '../core/envelope';
import { HELD_STAGE, type MessageRecord } from '../core/transaction-log';
import { HELD_HEADER } from '../routes/route-worker';

/**
 * The envelope a stored message is published as again (by the recovery sweep): its recorded id,
 * headers and original body, at `attempt` (default: the highest the log has seen). A message held
 * before carries its holds (`x-junction-held`, the number of its `held` stages), as the copies the
 * worker publishes do: the log refuses a copy that counts fewer (TransitionOptions.copy).
 */
export function envelopeOf(record: MessageRecord, attempt: number = Math.max(1, record.attempts)): Envelope {
  const holds = record.stages.filter((s) => s.stage === HELD_STAGE).length;
  return Object.freeze({
    id: record.id, correlationId: record.correlationId, routeId: record.routeId, pattern: record.pattern,
    source: record.source, headers: Object.freeze({ ...record.headers, ...(holds > 0 ? { [HELD_HEADER]: String(holds) } : {}) }),
    contentType: record.contentType, body: record.payload, attempt,
    ...(record.businessKey !== undefined ? { businessKey: record.businessKey } : {}),
    ...(record.replayOf !== undefined ? { replayOf: record.replayOf } : {}),
    receivedAt: record.receivedAt.toISOString(),
  });
}
