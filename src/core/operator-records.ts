import type { SerializedError } from './errors';
import type { MessageStatus } from './message-status';

/** Where a page of messages ends: the next page starts after this (receivedAt, id). */
export interface MessageCursor {
  readonly receivedAt: Date;
  readonly id: string;
}

/** What operators search messages by. Every filter is optional; all given ones must hold. */
export interface MessageFilter {
  /** One or more statuses. */
  readonly statuses?: readonly MessageStatus[];
  readonly routeId?: string;
  /** The endpoint of the message's last error (`deliver:<endpoint>` failures). */
  readonly endpoint?: string;
  /** The code of the message's last error. */
  readonly errorCode?: string;
  /** The key of the message's failure cause (see core/error-fingerprint.ts). */
  readonly errorGroup?: string;
  readonly correlationId?: string;
  readonly businessKey?: string;
  /** Replays of this message. */
  readonly replayOf?: string;
  /** Received at or after this time. */
  readonly receivedFrom?: Date;
  /** Received strictly before this time. */
  readonly receivedTo?: Date;
  /** Only FAILED messages nobody has replayed or resolved yet: what still needs an operator. */
  readonly unresolved?: boolean;
}

/** A search: a filter, a page size and where to continue (keyset pagination). */
export interface MessageSearch extends MessageFilter {
  /** `newest` first (default; operators' lists) or `oldest` first (bulk replay, in arrival order). */
  readonly order?: 'newest' | 'oldest';
  /** Continue after this message (from a previous page's `next`). */
  readonly after?: MessageCursor;
  /** Page size: default 50, 1..1000. */
  readonly limit?: number;
}

/** How an operator settled a FAILED message: replayed (a new message took over) or resolved by hand. */
export type Resolution = 'replayed' | 'resolved';

/** Failures with the same cause: route, endpoint, error code and normalised message. */
export interface FailureGroup {
  readonly routeId: string;
  /** The cause's key (filter messages with `errorGroup`). */
  readonly errorGroup: string;
  readonly endpoint?: string;
  readonly errorCode: string;
  /** The error message with ids, numbers and times taken out. */
  readonly message: string;
  readonly count: number;
  readonly firstReceivedAt: Date;
  readonly lastReceivedAt: Date;
  /** The newest message of the group. */
  readonly sampleId: string;
}

/** Which failures to group (unresolved FAILED messages only). */
export interface FailureGroupQuery {
  readonly routeId?: string;
  readonly receivedFrom?: Date;
  readonly receivedTo?: Date;
  /** Most groups returned, largest first (default 100, max 1000). */
  readonly limit?: number;
}

/** What operators do that the audit trail records. */
export type AuditAction =
  | 'replay' | 'resolve'
  | 'replay-job.create' | 'replay-job.pause' | 'replay-job.resume' | 'replay-job.cancel';

/**
 * How the principal of an audit entry signed in: with an admin token, a client's API key, a
 * bearer JWT or a client's TLS certificate (the admin API's ways in), or `replay-job` for the
 * replays of a bulk job (made under the name of the operator who started it).
 */
export type AuditMethod = 'admin-token' | 'api-key' | 'jwt' | 'certificate' | 'replay-job';

/** One entry of the append-only audit trail, as written. */
export interface AuditInput {
  /** Who: the principal's name. */
  readonly actor: string;
  /** The principal's role when it acted. */
  readonly role: string;
  /** How the principal signed in; absent on entries written before it was recorded. */
  readonly method?: AuditMethod;
  readonly action: AuditAction;
  readonly messageId?: string;
  /** The new message a replay created. */
  readonly replayId?: string;
  readonly jobId?: string;
  /** Why, in the operator's words. */
  readonly reason?: string;
  /** What changed (JSON-serialisable): replay source, an edited payload's diff, force, ... */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** An audit entry as stored: numbered and timed by the store. */
export interface AuditRecord extends AuditInput {
  readonly seq: number;
  readonly at: Date;
}

/** Filters of the audit trail; newest first, keyset on `seq`. */
export interface AuditQuery {
  readonly messageId?: string;
  readonly jobId?: string;
  readonly actor?: string;
  readonly action?: AuditAction;
  /** Entries with a smaller seq than this (the previous page's `next`). */
  readonly before?: number;
  readonly limit?: number;
}

/** A page of the audit trail. */
export interface AuditPage {
  readonly items: readonly AuditRecord[];
  readonly next?: number;
}

/**
 * Recording a replay: the original is claimed (marked replayed by the new message) in the same
 * transaction that records the new message and its audit entry, so two operators — or a bulk job
 * and an operator — never replay one message twice, and no replay goes unaudited.
 */
export interface ReplayClaim {
  readonly originalId: string;
  /**
   * False: only a FAILED message nobody has replayed or resolved. True (an admin's force): also a
   * DELIVERED one, or one replayed before.
   */
  readonly force: boolean;
  readonly audit: AuditInput;
  /** A bulk job's bookkeeping: counted as replayed and its cursor moved, in the same transaction. */
  readonly job?: { readonly id: string; readonly cursor: MessageCursor };
}

/** Why a replay was refused. */
export type ReplayRefusal = 'missing' | 'not-settled' | 'delivered' | 'replayed' | 'resolved';

/** Outcome of {@link ReplayClaim}. */
export type ReplayRecordResult =
  | { readonly outcome: 'recorded'; readonly audit: AuditRecord }
  | { readonly outcome: 'refused'; readonly reason: ReplayRefusal; readonly status?: MessageStatus; readonly replayedBy?: string };

/** Lifecycle of a bulk replay job. */
export type ReplayJobStatus = 'running' | 'paused' | 'cancelled' | 'completed' | 'failed';

/** Where a replay takes its payload from. */
export type ReplaySource = 'original' | 'failed-step';

/** A new bulk replay job. */
export interface NewReplayJob {
  readonly id: string;
  readonly createdBy: string;
  readonly reason: string;
  /** Which messages: the filter; the job replays unresolved FAILED ones received before `createdAt`. */
  readonly filter: MessageFilter;
  readonly source: ReplaySource;
  /** Messages per second, at most. */
  readonly ratePerSecond: number;
  /** Matching messages when the job was created. */
  readonly total: number;
  readonly createdAt: Date;
}

/** A bulk replay job as stored. */
export interface ReplayJob extends NewReplayJob {
  readonly status: ReplayJobStatus;
  readonly replayed: number;
  readonly skipped: number;
  readonly failed: number;
  /** The last message handled (oldest-first order); the job resumes after it. */
  readonly cursor?: MessageCursor;
  readonly lastError?: SerializedError;
  /** The process running it, while its lease lasts. */
  readonly owner?: string;
  readonly leaseUntil?: Date;
  readonly updatedAt: Date;
  readonly finishedAt?: Date;
}

/** A change to a job; counters are added to, the rest replaced (null clears). */
export interface ReplayJobChange {
  readonly status?: ReplayJobStatus;
  readonly addSkipped?: number;
  readonly addFailed?: number;
  readonly cursor?: MessageCursor;
  readonly lastError?: SerializedError | null;
  readonly owner?: string | null;
  readonly leaseUntil?: Date | null;
  readonly finishedAt?: Date;
}

/** One purge batch: what may go. */
export interface PurgeRequest {
  /** DELIVERED messages received before this time. */
  readonly deliveredBefore: Date;
  /** FAILED messages already replayed or resolved, received before this time. */
  readonly resolvedBefore: Date;
  /** At most this many messages (with their stages). */
  readonly limit: number;
}

/** Keeps a filter as JSON (jobs store theirs); dates become ISO text. */
export function filterToJson(filter: MessageFilter): string {
  return JSON.stringify(filter);
}

/** Reads a filter written by {@link filterToJson}. */
export function filterFromJson(json: string): MessageFilter {
  const raw = JSON.parse(json) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...raw };
  for (const key of ['receivedFrom', 'receivedTo'] as const) {
    if (typeof raw[key] === 'string') out[key] = new Date(raw[key]);
  }
  return out as MessageFilter;
}
