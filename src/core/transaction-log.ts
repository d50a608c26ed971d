import type { Envelope, MessagePattern } from './envelope';
import type { SerializedError } from './errors';
import type { MessageStatus } from './message-status';
import type {
  AuditInput, AuditPage, AuditQuery, AuditRecord, FailureGroup, FailureGroupQuery, MessageCursor, MessageFilter,
  MessageSearch, NewReplayJob, PurgeRequest, ReplayClaim, ReplayJob, ReplayJobChange, ReplayJobStatus,
  ReplayRecordResult, Resolution,
} from './operator-records';

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

/** Options of {@link TransactionLog.transition}. */
export interface TransitionOptions {
  /**
   * Stages that came before this one in the same handling — the steps a route captures — written
   * first, in this order, in the same transaction as the change, and only if it applies. Each keeps
   * its own status in the history; the message's status becomes the event's. One commit for a
   * handling's captured steps and its outcome instead of one each.
   */
  readonly preceding?: readonly StageEvent[];
  /**
   * Nobody waits for this write to be prompt (a mark for bookkeeping, such as QUEUED): the log may
   * hold it briefly — at most a quarter of a second — to commit it with other writes instead of in
   * a transaction of its own. The promise still settles only once it is committed (or has failed).
   */
  readonly deferrable?: boolean;
  /**
   * The message's body exactly as the log recorded it (recordReceived, recordReplay): the body the
   * bus delivered. A stage whose payload equals it may be stored as a reference to the message's
   * own payload instead of a second copy (the worker has the body at hand; the log need not read
   * it back). Readers get the stage's payload back as usual. Only a caller that knows the recorded
   * body gives it: for a message recorded with an empty body (capture: none) such stages may come
   * back without a payload, never with a wrong one.
   */
  readonly received?: string;
  /**
   * The bus copy that asks for this change (a worker beginning a try with it). The change is then
   * skipped when the message waits for a later copy than this one: RETRYING recorded at the copy's
   * attempt or a later one (the copy it awaits carries the next attempt); HELD at a later attempt,
   * or after more holds than the copy has been through (a held copy keeps its attempt and counts
   * its holds). So a copy that lost the race — the second of two published for one try or one
   * hold, a copy redelivered after its handling had scheduled the next — cannot start a second
   * chain of tries.
   */
  readonly copy?: BusCopy;
  /**
   * The bus copy whose handling writes this outcome (RETRYING, HELD or FAILED). The change is then
   * skipped when the handling of a later copy has begun since: the message's attempts above the
   * copy's, or more holds (stages `held`) than it counts. A handling overtaken so — a slow one
   * whose message another copy took over and carried on — must not set the status (nor schedule
   * a copy the message does not wait for).
   */
  readonly handling?: BusCopy;
}

/**
 * The stage a worker records when it holds a message for an open circuit: the log counts them per
 * message (which held copy the message waits for: {@link TransitionOptions.copy}).
 */
export const HELD_STAGE = 'held';

/** Which copy of a message a worker holds: its attempt, and how many holds (stages `held`) it has been through. */
export interface BusCopy {
  readonly attempt: number;
  readonly held: number;
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
  /** The endpoint of the last error, when it was a delivery's. */
  readonly errorEndpoint?: string;
  /** The key of the last error's cause (core/error-fingerprint.ts), for grouping failures. */
  readonly errorGroup?: string;
  /** How an operator settled this message (a FAILED one): replayed or resolved by hand. */
  readonly resolution?: Resolution;
  readonly resolvedAt?: Date;
  /** The latest replay of this message. */
  readonly replayedBy?: string;
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
  /**
   * Only messages last changed strictly before this time; the results then come in the order they
   * were last changed, longest ago first (the recovery sweep's "overdue" query: see
   * gateway/overdue-tries.ts).
   */
  readonly updatedBefore?: Date;
  /**
   * With `updatedBefore`: only messages after this one in that order (last changed later, or at
   * the same time with a greater id) — the next page of the overdue query, from its last item.
   */
  readonly changedAfter?: { readonly updatedAt: Date; readonly id: string };
  /** At most this many (default 50, max 1000). */
  readonly limit?: number;
}

/** A page of search results and where the next one starts (absent on the last page). */
export interface MessagePage {
  readonly items: readonly MessageSummary[];
  readonly next?: MessageCursor;
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
   * they were made. `options.preceding` appends earlier stages with this one, atomically.
   */
  transition(messageId: string, event: StageEvent, from?: readonly MessageStatus[], options?: TransitionOptions): Promise<TransitionResult>;
  /** One message with its history, or undefined. */
  load(messageId: string): Promise<MessageRecord | undefined>;
  /** Messages matching the query, newest first (changed longest ago first with `updatedBefore`). */
  find(query: MessageQuery): Promise<MessageSummary[]>;
  /** The message recorded on `routeId` with this idempotency key, with its history, or undefined. */
  findByIdempotencyKey(routeId: string, idempotencyKey: string): Promise<MessageRecord | undefined>;

  // ── Operators (docs/operators.md) ────────────────────────────────────────────────────────────
  /** A page of messages matching the search, keyset-paginated on (receivedAt, id); summary columns only. */
  search(search: MessageSearch): Promise<MessagePage>;
  /** How many messages match the filter. */
  count(filter: MessageFilter): Promise<number>;
  /** Unresolved FAILED messages grouped by route and cause, largest group first. */
  failureGroups(query: FailureGroupQuery): Promise<FailureGroup[]>;
  /**
   * Records a replay: claims the original (see {@link ReplayClaim}), records `message` as RECEIVED
   * (its `replayOf` names the original) and appends the audit entry, in one transaction. Refused
   * (nothing written) when the original is missing, not settled, DELIVERED or already replayed or
   * resolved (the last two allowed with `force`).
   */
  recordReplay(message: Envelope, claim: ReplayClaim): Promise<ReplayRecordResult>;
  /** Marks an unresolved FAILED message resolved by hand, with its audit entry; 'skipped' for any other. */
  resolve(messageId: string, audit: AuditInput): Promise<TransitionResult>;
  /** Appends to the audit trail (append-only: nothing updates or deletes it). */
  appendAudit(entry: AuditInput): Promise<AuditRecord>;
  /** The audit trail, newest first. */
  findAudit(query: AuditQuery): Promise<AuditPage>;
  /** Records a new bulk replay job (status running) and its audit entry. */
  createReplayJob(job: NewReplayJob, audit: AuditInput): Promise<ReplayJob>;
  loadReplayJob(id: string): Promise<ReplayJob | undefined>;
  /** The newest jobs first. */
  listReplayJobs(limit?: number): Promise<ReplayJob[]>;
  /**
   * Changes a job (only when its status is one of `from`, if given), with an optional audit entry
   * in the same transaction.
   */
  updateReplayJob(id: string, change: ReplayJobChange, from?: readonly ReplayJobStatus[], audit?: AuditInput): Promise<TransitionResult>;
  /**
   * Takes a running job whose lease has expired (or that `owner` holds already) and leases it to
   * `owner` until `leaseUntil`; undefined when there is none. Safe between processes.
   */
  leaseReplayJob(owner: string, leaseUntil: Date, now?: Date): Promise<ReplayJob | undefined>;
  /**
   * Deletes up to `limit` settled messages with their stages, in one short transaction: DELIVERED
   * ones and replayed/resolved FAILED ones older than the request's times. Returns how many.
   */
  purge(request: PurgeRequest): Promise<number>;
}
