import type { Envelope } from '../../src/core/envelope';
import { endpointOfStage, errorGroupKey, normaliseErrorMessage } from '../../src/core/error-fingerprint';
import { JunctionError } from '../../src/core/errors';
import type { MessageStatus } from '../../src/core/message-status';
import type {
  AuditInput, AuditPage, AuditQuery, AuditRecord, FailureGroup, FailureGroupQuery, MessageFilter, MessageSearch, NewReplayJob,
  PurgeRequest, ReplayClaim, ReplayJob, ReplayJobChange, ReplayJobStatus, ReplayRecordResult,
} from '../../src/core/operator-records';
import {
  HELD_STAGE, type MessagePage, type MessageQuery, type MessageRecord, type MessageSummary, type ReceiveOptions, type StageEvent, type StageRecord,
  type TransactionLog, type TransitionOptions, type TransitionResult,
} from '../../src/core/transaction-log';

const clampPage = (limit: number | undefined, max = 1000): number =>
  (limit === undefined || !Number.isFinite(limit) ? Math.min(50, max) : Math.min(max, Math.max(1, Math.floor(limit))));

function matches(s: MessageSummary, f: MessageFilter): boolean {
  const code = s.lastError?.code;
  return (!f.unresolved || (s.status === 'FAILED' && s.resolution === undefined))
    && (!f.statuses || f.statuses.length === 0 || f.statuses.includes(s.status))
    && (f.routeId === undefined || s.routeId === f.routeId)
    && (f.endpoint === undefined || s.errorEndpoint === f.endpoint)
    && (f.errorCode === undefined || code === f.errorCode)
    && (f.errorGroup === undefined || s.errorGroup === f.errorGroup)
    && (f.correlationId === undefined || s.correlationId === f.correlationId)
    && (f.businessKey === undefined || s.businessKey === f.businessKey)
    && (f.replayOf === undefined || s.replayOf === f.replayOf)
    && (f.receivedFrom === undefined || s.receivedAt.getTime() >= f.receivedFrom.getTime())
    && (f.receivedTo === undefined || s.receivedAt.getTime() < f.receivedTo.getTime());
}

/** Newest first: received time, then id, both descending. */
const newestFirst = (a: MessageSummary, b: MessageSummary): number =>
  b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

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

  async transition(messageId: string, event: StageEvent, from?: readonly MessageStatus[], options: TransitionOptions = {}): Promise<TransitionResult> {
    this.maybeFail();
    const row = this.rows.get(messageId);
    if (!row) return 'missing';
    if (from && !from.includes(row.summary.status)) return 'skipped';
    const { status, attempts } = row.summary;
    const { copy } = options;
    const holds = row.stages.filter((s) => s.stage === HELD_STAGE).length;
    if (copy !== undefined && ((status === 'RETRYING' && attempts >= copy.attempt) || (status === 'HELD' && (attempts > copy.attempt || holds > copy.held)))) return 'skipped';
    const { handling } = options;
    if (handling !== undefined && (attempts > handling.attempt || holds > handling.held)) return 'skipped';
    const at = event.at ?? new Date();
    const endpoint = event.error ? event.endpoint ?? endpointOfStage(event.stage) : undefined;
    const { errorEndpoint: _e, errorGroup: _g, ...previous } = row.summary;
    row.summary = {
      ...(event.error ? previous : row.summary),
      status: event.status,
      attempts: Math.max(row.summary.attempts, event.attempt),
      updatedAt: new Date(),
      ...(event.error ? {
        lastError: event.error, errorGroup: errorGroupKey(endpoint, event.error.code, event.error.message),
        ...(endpoint !== undefined ? { errorEndpoint: endpoint } : {}),
      } : {}),
    };
    for (const each of [...(options.preceding ?? []), event]) {
      row.stages.push({
        seq: ++this.seq, stage: each.stage, status: each.status, attempt: each.attempt, at: each.at ?? at,
        ...(each.durationMs !== undefined ? { durationMs: each.durationMs } : {}),
        ...(each.endpoint !== undefined ? { endpoint: each.endpoint } : {}),
        ...(each.detail !== undefined ? { detail: each.detail } : {}),
        ...(each.error !== undefined ? { error: each.error } : {}),
        ...(each.payload !== undefined ? { payload: each.payload } : {}),
      });
    }
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
        && (query.receivedBefore === undefined || s.receivedAt.getTime() < query.receivedBefore.getTime())
        && (query.updatedBefore === undefined || s.updatedAt.getTime() < query.updatedBefore.getTime())
        && (query.updatedBefore === undefined || query.changedAfter === undefined
          || s.updatedAt.getTime() > query.changedAfter.updatedAt.getTime()
          || (s.updatedAt.getTime() === query.changedAfter.updatedAt.getTime() && s.id > query.changedAfter.id)))
      .sort(query.updatedBefore === undefined
        ? (a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || (a.id < b.id ? 1 : -1)
        : (a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
  }

  // ── Operators ────────────────────────────────────────────────────────────────────────────────
  private readonly audit: AuditRecord[] = [];
  private readonly jobs = new Map<string, ReplayJob>();
  private auditSeq = 0;

  async search(search: MessageSearch): Promise<MessagePage> {
    this.maybeFail();
    const limit = clampPage(search.limit);
    const newest = search.order !== 'oldest';
    let list = [...this.rows.values()].map((r) => r.summary).filter((s) => matches(s, search)).sort(newestFirst);
    if (!newest) list.reverse();
    const after = search.after;
    if (after) {
      const key = (s: MessageSummary): number => newestFirst(s, { ...s, receivedAt: after.receivedAt, id: after.id });
      list = list.filter((s) => (newest ? key(s) > 0 : key(s) < 0));
    }
    const items = list.slice(0, limit);
    const last = items[items.length - 1];
    return list.length > limit && last ? { items, next: { receivedAt: last.receivedAt, id: last.id } } : { items };
  }

  async count(filter: MessageFilter): Promise<number> {
    this.maybeFail();
    return [...this.rows.values()].filter((r) => matches(r.summary, filter)).length;
  }

  async failureGroups(query: FailureGroupQuery): Promise<FailureGroup[]> {
    this.maybeFail();
    const groups = new Map<string, MessageSummary[]>();
    for (const { summary } of this.rows.values()) {
      if (summary.errorGroup === undefined || !matches(summary, { ...query, unresolved: true })) continue;
      const key = `${summary.routeId}\u0000${summary.errorGroup}`;
      groups.set(key, [...(groups.get(key) ?? []), summary]);
    }
    return [...groups.values()].map((members) => {
      const times = members.map((m) => m.receivedAt.getTime());
      const sample = [...members].sort((a, b) => (a.id < b.id ? 1 : -1))[0] as MessageSummary;
      return {
        routeId: sample.routeId, errorGroup: sample.errorGroup ?? '',
        ...(sample.errorEndpoint !== undefined ? { endpoint: sample.errorEndpoint } : {}),
        errorCode: sample.lastError?.code ?? 'JCT_INTERNAL', message: normaliseErrorMessage(sample.lastError?.message ?? ''),
        count: members.length, firstReceivedAt: new Date(Math.min(...times)), lastReceivedAt: new Date(Math.max(...times)), sampleId: sample.id,
      };
    }).sort((a, b) => b.count - a.count || b.lastReceivedAt.getTime() - a.lastReceivedAt.getTime()).slice(0, clampPage(query.limit ?? 100));
  }

  async recordReplay(message: Envelope, claim: ReplayClaim): Promise<ReplayRecordResult> {
    this.maybeFail();
    const original = this.rows.get(claim.originalId);
    if (!original) return { outcome: 'refused', reason: 'missing' };
    const s = original.summary;
    const allowed = claim.force ? s.status === 'FAILED' || s.status === 'DELIVERED' : s.status === 'FAILED' && s.resolution === undefined;
    if (!allowed) {
      const base = { outcome: 'refused' as const, status: s.status, ...(s.replayedBy ? { replayedBy: s.replayedBy } : {}) };
      if (s.status !== 'FAILED' && s.status !== 'DELIVERED') return { ...base, reason: 'not-settled' };
      if (s.status === 'DELIVERED') return { ...base, reason: 'delivered' };
      return { ...base, reason: s.resolution === 'resolved' ? 'resolved' : 'replayed' };
    }
    if (this.rows.has(message.id)) throw new Error(`message ${message.id} is already recorded`);
    const now = new Date();
    original.summary = { ...s, resolution: 'replayed', resolvedAt: now, replayedBy: message.id };
    await this.recordReceived(message);
    const stages = this.rows.get(message.id)?.stages;
    if (stages?.[0]) stages[0] = { ...stages[0], detail: `replay of ${claim.originalId} by ${claim.audit.actor}` };
    const audit = this.pushAudit({ ...claim.audit, messageId: claim.originalId, replayId: message.id });
    const job = claim.job ? this.jobs.get(claim.job.id) : undefined;
    if (job && claim.job) this.jobs.set(job.id, { ...job, replayed: job.replayed + 1, cursor: claim.job.cursor, updatedAt: now });
    return { outcome: 'recorded', audit };
  }

  async resolve(messageId: string, audit: AuditInput): Promise<TransitionResult> {
    this.maybeFail();
    const row = this.rows.get(messageId);
    if (!row) return 'missing';
    if (row.summary.status !== 'FAILED' || row.summary.resolution !== undefined) return 'skipped';
    row.summary = { ...row.summary, resolution: 'resolved', resolvedAt: new Date() };
    this.pushAudit({ ...audit, messageId });
    return 'applied';
  }

  private pushAudit(input: AuditInput): AuditRecord {
    const record: AuditRecord = { ...input, seq: ++this.auditSeq, at: new Date() };
    this.audit.push(record);
    return record;
  }

  async appendAudit(entry: AuditInput): Promise<AuditRecord> {
    this.maybeFail();
    return this.pushAudit(entry);
  }

  async findAudit(query: AuditQuery): Promise<AuditPage> {
    this.maybeFail();
    const limit = clampPage(query.limit);
    const list = [...this.audit].reverse().filter((a) => (query.messageId === undefined || a.messageId === query.messageId || a.replayId === query.messageId)
      && (query.jobId === undefined || a.jobId === query.jobId) && (query.actor === undefined || a.actor === query.actor)
      && (query.action === undefined || a.action === query.action) && (query.before === undefined || a.seq < query.before));
    const items = list.slice(0, limit);
    const last = items[items.length - 1];
    return list.length > limit && last ? { items, next: last.seq } : { items };
  }

  async createReplayJob(job: NewReplayJob, audit: AuditInput): Promise<ReplayJob> {
    this.maybeFail();
    const stored: ReplayJob = { ...job, status: 'running', replayed: 0, skipped: 0, failed: 0, updatedAt: new Date() };
    this.jobs.set(job.id, stored);
    this.pushAudit({ ...audit, jobId: job.id });
    return stored;
  }

  async loadReplayJob(id: string): Promise<ReplayJob | undefined> {
    this.maybeFail();
    return this.jobs.get(id);
  }

  async listReplayJobs(limit?: number): Promise<ReplayJob[]> {
    this.maybeFail();
    return [...this.jobs.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).slice(0, clampPage(limit, 200));
  }

  async updateReplayJob(id: string, change: ReplayJobChange, from?: readonly ReplayJobStatus[], audit?: AuditInput): Promise<TransitionResult> {
    this.maybeFail();
    const job = this.jobs.get(id);
    if (!job) return 'missing';
    if (from && !from.includes(job.status)) return 'skipped';
    const next: Record<string, unknown> = {
      ...job, updatedAt: new Date(), skipped: job.skipped + (change.addSkipped ?? 0), failed: job.failed + (change.addFailed ?? 0),
      ...(change.status ? { status: change.status } : {}), ...(change.cursor ? { cursor: change.cursor } : {}),
      ...(change.finishedAt ? { finishedAt: change.finishedAt } : {}),
    };
    for (const key of ['lastError', 'owner', 'leaseUntil'] as const) {
      if (change[key] === null) delete next[key];
      else if (change[key] !== undefined) next[key] = change[key];
    }
    this.jobs.set(id, next as unknown as ReplayJob);
    if (audit) this.pushAudit({ ...audit, jobId: id });
    return 'applied';
  }

  async leaseReplayJob(owner: string, leaseUntil: Date, now: Date = new Date()): Promise<ReplayJob | undefined> {
    this.maybeFail();
    const job = [...this.jobs.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .find((j) => j.status === 'running' && (j.owner === undefined || j.leaseUntil === undefined || j.leaseUntil < now || j.owner === owner));
    if (!job) return undefined;
    const leased = { ...job, owner, leaseUntil, updatedAt: now };
    this.jobs.set(job.id, leased);
    return leased;
  }

  async purge(request: PurgeRequest): Promise<number> {
    this.maybeFail();
    const gone = [...this.rows.values()].map((r) => r.summary)
      .filter((s) => (s.status === 'DELIVERED' && s.receivedAt < request.deliveredBefore)
        || (s.status === 'FAILED' && s.resolution !== undefined && s.receivedAt < request.resolvedBefore))
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())
      .slice(0, Math.max(1, Math.floor(request.limit)));
    for (const s of gone) this.rows.delete(s.id);
    return gone.length;
  }
}
