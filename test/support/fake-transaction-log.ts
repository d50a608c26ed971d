import type { Envelope } from '../../src/core/envelope';
import { JunctionError } from '../../src/core/errors';
import type { MessageStatus } from '../../src/core/message-status';
import type {
  MessageQuery, MessageRecord, MessageSummary, ReceiveOptions, StageEvent, StageRecord, TransactionLog, TransitionResult,
} from '../../src/core/transaction-log';

interface Row { summary: MessageSummary; record: Omit<MessageRecord, keyof MessageSummary>; stages: StageRecord[] }

/**
 * An in-memory TransactionLog for unit tests of the gateway and the worker. It passes the same
 * contract suite as the real implementations (test/contract/transaction-log.test.ts), so unit
 * tests built on it see the real semantics. `failNext` makes the next calls throw, to test how
 * callers handle a database outage.
 */
export class FakeTransactionLog implements TransactionLog {
  private readonly rows = new Map<string, Row>();
  private seq = 0;
  /** Errors thrown by the next calls, one per call. */
  failNext: Error[] = [];

  private state: 'new' | 'open' | 'closed' = 'new';

  async start(): Promise<void> { this.state = 'open'; }
  async close(): Promise<void> { this.state = 'closed'; }

  async ping(): Promise<void> {
    this.maybeFail();
    if (this.state !== 'open') throw new JunctionError('JCT_STORE_UNAVAILABLE', `The fake transaction log is ${this.state === 'new' ? 'not started' : 'closed'}.`);
  }

  private maybeFail(): void {
    const error = this.failNext.shift();
    if (error) throw error;
  }

  async recordReceived(message: Envelope, options: ReceiveOptions = {}): Promise<void> {
    this.maybeFail();
    if (this.rows.has(message.id)) throw new Error(`message ${message.id} is already recorded`);
    const { idempotencyKey, bodyHash } = options;
    if (idempotencyKey !== undefined) {
      if (idempotencyKey.length === 0 || idempotencyKey.length > 255) {
        throw new JunctionError('JCT_REQUEST_MALFORMED', 'The idempotency key must hold 1 to 255 characters.');
      }
      if ([...this.rows.values()].some((r) => r.summary.routeId === message.routeId && r.record.idempotencyKey === idempotencyKey)) {
        throw new JunctionError('JCT_IDEMPOTENCY_KEY_REUSED', `Idempotency key "${idempotencyKey}" is already used on route ${message.routeId}.`,
          { details: { routeId: message.routeId, idempotencyKey } });
      }
    }
    const at = new Date(message.receivedAt);
    this.rows.set(message.id, {
      summary: {
        id: message.id, correlationId: message.correlationId, routeId: message.routeId, source: message.source,
        pattern: message.pattern, status: 'RECEIVED', attempts: message.attempt,
        ...(message.businessKey !== undefined ? { businessKey: message.businessKey } : {}),
        ...(message.replayOf !== undefined ? { replayOf: message.replayOf } : {}),
        receivedAt: at, updatedAt: at,
      },
      record: {
        contentType: message.contentType, headers: { ...message.headers }, payload: message.body, stages: [],
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        ...(bodyHash !== undefined ? { bodyHash } : {}),
      },
      stages: [{ seq: ++this.seq, stage: 'received', status: 'RECEIVED', attempt: message.attempt, at }],
    });
  }

  async transition(messageId: string, event: StageEvent, from?: readonly MessageStatus[]): Promise<TransitionResult> {
    this.maybeFail();
    const row = this.rows.get(messageId);
    if (!row) return 'missing';
    if (from && !from.includes(row.summary.status)) return 'skipped';
    const at = event.at ?? new Date();
    row.summary = {
      ...row.summary,
      status: event.status,
      attempts: Math.max(row.summary.attempts, event.attempt),
      updatedAt: new Date(),
      ...(event.error ? { lastError: event.error } : {}),
    };
    row.stages.push({
      seq: ++this.seq, stage: event.stage, status: event.status, attempt: event.attempt, at,
      ...(event.durationMs !== undefined ? { durationMs: event.durationMs } : {}),
      ...(event.endpoint !== undefined ? { endpoint: event.endpoint } : {}),
      ...(event.detail !== undefined ? { detail: event.detail } : {}),
      ...(event.error !== undefined ? { error: event.error } : {}),
      ...(event.payload !== undefined ? { payload: event.payload } : {}),
    });
    return 'applied';
  }

  async load(messageId: string): Promise<MessageRecord | undefined> {
    this.maybeFail();
    const row = this.rows.get(messageId);
    return row ? { ...row.summary, ...row.record, stages: [...row.stages] } : undefined;
  }

  async findByIdempotencyKey(routeId: string, idempotencyKey: string): Promise<MessageRecord | undefined> {
    this.maybeFail();
    const row = [...this.rows.values()].find((r) => r.summary.routeId === routeId && r.record.idempotencyKey === idempotencyKey);
    return row ? { ...row.summary, ...row.record, stages: [...row.stages] } : undefined;
  }

  async find(query: MessageQuery): Promise<MessageSummary[]> {
    this.maybeFail();
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 1000);
    return [...this.rows.values()].map((r) => r.summary)
      .filter((s) => (query.status === undefined || s.status === query.status)
        && (query.routeId === undefined || s.routeId === query.routeId)
        && (query.correlationId === undefined || s.correlationId === query.correlationId)
        && (query.businessKey === undefined || s.businessKey === query.businessKey)
        && (query.receivedBefore === undefined || s.receivedAt.getTime() < query.receivedBefore.getTime()))
      .sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(0, limit);
  }
}
