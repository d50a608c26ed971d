import type { Envelope, MessagePattern } from './envelope';
import type { SerializedError } from './errors';
import type { MessageStatus } from './message-status';

/** A status change with the stage that caused it, appended to a message's history. */
export interface StageEvent {
  /** What happened, e.g. `received`, `published`, `processing`, `step:json-to-xml`, `deliver:oa-approvals`. */
  readonly stage: string;
  /** The message's status once this stage is recorded. */
  readonly status: MessageStatus;
  /** Attempt number the stage belongs to. */
  readonly attempt: number;
  readonly at?: Date;
  readonly durationMs?: number;
  /** The endpoint involved, for delivery stages. */
  readonly endpoint?: string;
  /** Short free text for operators (never a payload or a secret). */
  readonly detail?: string;
  readonly error?: SerializedError;
  /**
   * The message body as this stage left it (a step's output, the request an endpoint was sent),
   * kept when the route's capture level asks for it.
   */
  readonly payload?: string;
}

/** Outcome of {@link TransactionLog.transition}. */
export type TransitionResult = 'applied' | 'skipped' | 'missing';

/** A recorded stage. */
export interface StageRecord extends Required<Pick<StageEvent, 'stage' | 'status' | 'attempt'>> {
  readonly seq: number;
  readonly at: Date;
  readonly durationMs?: number;
  readonly endpoint?: string;
  readonly detail?: string;
  readonly error?: SerializedError;
  readonly payload?: string;
}

/** One message as the log knows it (without its history). */
export interface MessageSummary {
  readonly id: string;
  readonly correlationId: string;
  readonly routeId: string;
  readonly source: string;
  readonly pattern: MessagePattern;
  readonly status: MessageStatus;
  readonly attempts: number;
  readonly businessKey?: string;
  readonly replayOf?: string;
  readonly lastError?: SerializedError;
  readonly receivedAt: Date;
  readonly updatedAt: Date;
}

/** A message with its payload and full stage history, oldest first. */
export interface MessageRecord extends MessageSummary {
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly payload: string;
  readonly stages: readonly StageRecord[];
  /** The caller's idempotency key, when it sent one (scoped to the route). */
  readonly idempotencyKey?: string;
  /** Hex SHA-256 of the body as received, recorded with an idempotency key to recognise a different body. */
  readonly bodyHash?: string;
}

/** Extra facts recorded with a new message; see {@link TransactionLog.recordReceived}. */
export interface ReceiveOptions {
  /**
   * The caller's idempotency key (1..255 characters). Unique per route: recording a second message
   * with the same route and key throws JCT_IDEMPOTENCY_KEY_REUSED (details: routeId, idempotencyKey)
   * and records nothing.
   */
  readonly idempotencyKey?: string;
  /** Hex SHA-256 of the body as received (64 characters). */
  readonly bodyHash?: string;
}

/** Filters for {@link TransactionLog.find}; results are newest first. */
export interface MessageQuery {
  readonly status?: MessageStatus;
  readonly routeId?: string;
  readonly correlationId?: string;
  readonly businessKey?: string;
  /** Only messages received strictly before this time (the recovery sweep's "stranded" query). */
  readonly receivedBefore?: Date;
  /** At most this many (default 50, max 1000). */
  readonly limit?: number;
}

/**
 * The transaction log: every message and every stage, so an operator can find what failed,
 * see why, and replay it. Implementation: store/typeorm (MariaDB/MySQL in production, SQLite
 * for the embedded default). Every implementation passes test/contract/transaction-log.contract.ts.
 */
export interface TransactionLog {
  /** Connects and brings the schema up to date (migrations). */
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Resolves when the log's database answers a trivial query now; rejects with
   * JCT_STORE_UNAVAILABLE otherwise (not started, closed, unreachable). What /readyz asks.
   */
  ping(): Promise<void>;
  /**
   * Records a new message as RECEIVED with its original payload. Throws if the id exists, and
   * JCT_IDEMPOTENCY_KEY_REUSED if `options.idempotencyKey` is already taken on the route.
   */
  recordReceived(message: Envelope, options?: ReceiveOptions): Promise<void>;
  /**
   * Appends a stage and sets the message's status, atomically. When `from` is given the change
   * applies only if the current status is one of them ('skipped' otherwise, nothing written);
   * this is how a worker avoids delivering twice and how late writers never move a status back.
   * Writes of one message made by one process without awaiting each other are applied in the order
   * they were made (the worker fires its captured stages that way).
   */
  transition(messageId: string, event: StageEvent, from?: readonly MessageStatus[]): Promise<TransitionResult>;
  /** One message with its history, or undefined. */
  load(messageId: string): Promise<MessageRecord | undefined>;
  /** Messages matching the query, newest first. */
  find(query: MessageQuery): Promise<MessageSummary[]>;
  /** The message recorded on `routeId` with this idempotency key, with its history, or undefined. */
  findByIdempotencyKey(routeId: string, idempotencyKey: string): Promise<MessageRecord | undefined>;
}
