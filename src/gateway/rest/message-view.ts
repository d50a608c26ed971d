import type { SerializedError } from '../../core/errors';
import type { MessageRecord } from '../../core/transaction-log';

/** What `GET /api/v1/messages/{id}` answers: status and stage history, without the payload. */
export interface MessageView {
  readonly id: string;
  readonly routeId: string;
  readonly status: string;
  readonly attempts: number;
  readonly correlationId: string;
  readonly businessKey?: string;
  readonly replayOf?: string;
  readonly receivedAt: string;
  readonly updatedAt: string;
  readonly lastError?: SerializedError;
  readonly stages: readonly {
    stage: string; status: string; attempt: number; at: string;
    durationMs?: number; endpoint?: string; detail?: string; error?: SerializedError;
  }[];
}

/** Builds the public view of a logged message. */
export function toMessageView(record: MessageRecord): MessageView {
  return {
    id: record.id,
    routeId: record.routeId,
    status: record.status,
    attempts: record.attempts,
    correlationId: record.correlationId,
    ...(record.businessKey !== undefined ? { businessKey: record.businessKey } : {}),
    ...(record.replayOf !== undefined ? { replayOf: record.replayOf } : {}),
    receivedAt: record.receivedAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    ...(record.lastError ? { lastError: record.lastError } : {}),
    stages: record.stages.map((s) => ({
      stage: s.stage,
      status: s.status,
      attempt: s.attempt,
      at: s.at.toISOString(),
      ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
      ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {}),
      ...(s.detail !== undefined ? { detail: s.detail } : {}),
      ...(s.error !== undefined ? { error: s.error } : {}),
    })),
  };
}
