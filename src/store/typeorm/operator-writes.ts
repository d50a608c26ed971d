import type { EntityManager } from 'typeorm';
import type { Envelope } from '../../core/envelope';
import type { SerializedError } from '../../core/errors';
import { isMessageStatus, type MessageStatus } from '../../core/message-status';
import {
  filterFromJson, filterToJson, type AuditAction, type AuditInput, type AuditMethod, type AuditPage, type AuditQuery, type AuditRecord,
  type NewReplayJob, type PurgeRequest, type ReplayClaim, type ReplayJob, type ReplayJobChange, type ReplayJobStatus,
  type ReplayRecordResult,
} from '../../core/operator-records';
import type { TransitionResult } from '../../core/transaction-log';
import { COLUMN_LIMITS, type AuditRow, type ReplayJobRow, type StoreEntities } from './entities';
import { pageLimit } from './message-search';
import { checkEnvelope, fitDetail, messageRowOf, parseStoredError, stageRowOf, type StoreProtection } from './row-mapping';

function fit(text: string | undefined, limit: number): string | null {
  if (text === undefined) return null;
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** Appends one audit entry; returns it with its seq and time. */
export async function insertAudit(manager: EntityManager, { audit }: StoreEntities, input: AuditInput, now: Date): Promise<AuditRecord> {
  const row: Omit<AuditRow, 'seq'> = {
    at: now,
    actor: fit(input.actor, COLUMN_LIMITS.actor) ?? '',
    role: input.role.slice(0, 16),
    authMethod: input.method?.slice(0, 16) ?? null,
    action: input.action,
    messageId: input.messageId ?? null,
    replayId: input.replayId ?? null,
    jobId: input.jobId ?? null,
    reason: fit(input.reason, COLUMN_LIMITS.reason),
    detail: input.detail === undefined ? null : JSON.stringify(input.detail),
  };
  const result = await manager.createQueryBuilder().insert().into(audit).values(row).execute();
  const raw = result.raw as { insertId?: unknown } | undefined;
  const seq = Number(result.identifiers[0]?.seq ?? raw?.insertId);
  return toAudit({ ...row, seq });
}

function toAudit(row: AuditRow): AuditRecord {
  return {
    seq: Number(row.seq), at: row.at, actor: row.actor, role: row.role, ...(row.authMethod !== null ? { method: row.authMethod as AuditMethod } : {}), action: row.action as AuditAction,
    ...(row.messageId !== null ? { messageId: row.messageId } : {}),
    ...(row.replayId !== null ? { replayId: row.replayId } : {}),
    ...(row.jobId !== null ? { jobId: row.jobId } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.detail !== null ? { detail: JSON.parse(row.detail) as Record<string, unknown> } : {}),
  };
}

/** The audit trail, newest first; one row more than the page tells whether another follows. */
export async function findAudit(manager: EntityManager, { audit }: StoreEntities, query: AuditQuery): Promise<AuditPage> {
  const limit = pageLimit(query.limit);
  const select = manager.createQueryBuilder(audit, 'a');
  if (query.messageId) select.andWhere('(a.messageId = :messageId OR a.replayId = :messageId)', { messageId: query.messageId });
  if (query.jobId) select.andWhere('a.jobId = :jobId', { jobId: query.jobId });
  if (query.actor) select.andWhere('a.actor = :actor', { actor: query.actor });
  if (query.action) select.andWhere('a.action = :action', { action: query.action });
  if (query.before !== undefined) select.andWhere('a.seq < :before', { before: query.before });
  const rows = await select.orderBy('a.seq', 'DESC').limit(limit + 1).getMany();
  const items = rows.slice(0, limit).map(toAudit);
  const last = items[items.length - 1];
  return rows.length > limit && last ? { items, next: last.seq } : { items };
}

/**
 * See TransactionLog.recordReplay: claim the original, record the replay and its audit entry, move
 * the job. The replay's payload is protected like any new message's (encrypted at rest when configured).
 */
export async function recordReplay(manager: EntityManager, entities: StoreEntities, replay: Envelope, claim: ReplayClaim, now: Date,
  protection: StoreProtection): Promise<ReplayRecordResult> {
  checkEnvelope(replay);
  const { message, stage, replayJob } = entities;
  const update = manager.createQueryBuilder().update(message)
    .set({ replayedBy: replay.id, resolution: 'replayed', resolvedAt: now })
    .where('id = :id', { id: claim.originalId })
    .updateEntity(false);
  if (claim.force) update.andWhere("status IN ('FAILED', 'DELIVERED')");
  else update.andWhere("status = 'FAILED' AND resolution IS NULL");
  const claimed = (await update.execute()).affected ?? 0;
  if (claimed === 0) {
    const original = await manager.createQueryBuilder(message, 'm').select(['m.id', 'm.status', 'm.resolution', 'm.replayedBy'])
      .where('m.id = :id', { id: claim.originalId }).getOne();
    if (!original) return { outcome: 'refused', reason: 'missing' };
    const status = isMessageStatus(original.status) ? original.status : undefined;
    const base = { outcome: 'refused' as const, ...(status ? { status } : {}), ...(original.replayedBy ? { replayedBy: original.replayedBy } : {}) };
    if (original.status !== 'FAILED' && original.status !== 'DELIVERED') return { ...base, reason: 'not-settled' };
    if (original.status === 'DELIVERED') return { ...base, reason: 'delivered' };
    return { ...base, reason: original.resolution === 'resolved' ? 'resolved' : 'replayed' };
  }
  await manager.createQueryBuilder().insert().into(message).values(messageRowOf(replay, now, {}, protection)).updateEntity(false).execute();
  const received = stageRowOf(replay.id, {
    stage: 'received', status: 'RECEIVED', attempt: replay.attempt, at: new Date(replay.receivedAt),
    detail: fitDetail(`replay of ${claim.originalId} by ${claim.audit.actor}`) ?? undefined,
  }, now);
  await manager.createQueryBuilder().insert().into(stage).values(received).updateEntity(false).execute();
  const audit = await insertAudit(manager, entities, { ...claim.audit, messageId: claim.originalId, replayId: replay.id }, now);
  if (claim.job) {
    await manager.createQueryBuilder().update(replayJob)
      .set({ replayed: () => 'replayed + 1', cursorAt: claim.job.cursor.receivedAt, cursorId: claim.job.cursor.id, updatedAt: now })
      .where('id = :id', { id: claim.job.id }).updateEntity(false).execute();
  }
  return { outcome: 'recorded', audit };
}

/** Marks an unresolved FAILED message resolved by hand, with its audit entry. */
export async function resolveMessage(manager: EntityManager, entities: StoreEntities, messageId: string, audit: AuditInput, now: Date): Promise<TransitionResult> {
  const { message } = entities;
  const affected = (await manager.createQueryBuilder().update(message).set({ resolution: 'resolved', resolvedAt: now })
    .where("id = :id AND status = 'FAILED' AND resolution IS NULL", { id: messageId }).updateEntity(false).execute()).affected ?? 0;
  if (affected === 0) {
    const found = await manager.createQueryBuilder(message, 'm').select('m.id', 'id').where('m.id = :id', { id: messageId }).getRawOne();
    return found ? 'skipped' : 'missing';
  }
  await insertAudit(manager, entities, { ...audit, messageId }, now);
  return 'applied';
}

const JOB_STATUSES: readonly ReplayJobStatus[] = ['running', 'paused', 'cancelled', 'completed', 'failed'];

function toJob(row: ReplayJobRow): ReplayJob {
  const lastError: SerializedError | undefined = parseStoredError(row.lastError);
  const status = JOB_STATUSES.find((s) => s === row.status);
  if (!status) throw new Error(`The transaction log holds a replay job with an unknown status "${row.status}".`);
  return {
    id: row.id, createdAt: row.createdAt, createdBy: row.createdBy, reason: row.reason, filter: filterFromJson(row.filter),
    source: row.source === 'failed-step' ? 'failed-step' : 'original', ratePerSecond: row.ratePerSecond, total: row.total,
    status, replayed: row.replayed, skipped: row.skipped, failed: row.failed, updatedAt: row.updatedAt,
    ...(row.cursorAt !== null && row.cursorId !== null ? { cursor: { receivedAt: row.cursorAt, id: row.cursorId } } : {}),
    ...(lastError ? { lastError } : {}),
    ...(row.owner !== null ? { owner: row.owner } : {}),
    ...(row.leaseUntil !== null ? { leaseUntil: row.leaseUntil } : {}),
    ...(row.finishedAt !== null ? { finishedAt: row.finishedAt } : {}),
  };
}

/** Records a new job, running, with its audit entry. */
export async function createReplayJob(manager: EntityManager, entities: StoreEntities, job: NewReplayJob, audit: AuditInput, now: Date): Promise<ReplayJob> {
  const row: ReplayJobRow = {
    id: job.id, createdAt: job.createdAt, createdBy: fit(job.createdBy, COLUMN_LIMITS.actor) ?? '', reason: fit(job.reason, COLUMN_LIMITS.reason) ?? '',
    filter: filterToJson(job.filter), source: job.source, ratePerSecond: job.ratePerSecond, status: 'running',
    total: job.total, replayed: 0, skipped: 0, failed: 0, cursorAt: null, cursorId: null, lastError: null,
    owner: null, leaseUntil: null, updatedAt: now, finishedAt: null,
  };
  await manager.createQueryBuilder().insert().into(entities.replayJob).values(row).updateEntity(false).execute();
  await insertAudit(manager, entities, { ...audit, jobId: job.id }, now);
  return toJob(row);
}

/** One job, or undefined. */
export async function loadReplayJob(manager: EntityManager, { replayJob }: StoreEntities, id: string): Promise<ReplayJob | undefined> {
  const row = await manager.createQueryBuilder(replayJob, 'j').where('j.id = :id', { id }).getOne();
  return row ? toJob(row) : undefined;
}

/** The newest jobs. */
export async function listReplayJobs(manager: EntityManager, { replayJob }: StoreEntities, limit: number | undefined): Promise<ReplayJob[]> {
  const rows = await manager.createQueryBuilder(replayJob, 'j').orderBy('j.createdAt', 'DESC').addOrderBy('j.id', 'DESC')
    .limit(pageLimit(limit, 200)).getMany();
  return rows.map(toJob);
}

/** Applies a change to a job when its status allows; appends the audit entry when it applied. */
export async function updateReplayJob(manager: EntityManager, entities: StoreEntities, id: string, change: ReplayJobChange,
  from: readonly ReplayJobStatus[] | undefined, audit: AuditInput | undefined, now: Date): Promise<TransitionResult> {
  const set: Record<string, unknown> = { updatedAt: now };
  if (change.status) set.status = change.status;
  if (change.addSkipped) set.skipped = () => `skipped + ${Math.floor(change.addSkipped ?? 0)}`;
  if (change.addFailed) set.failed = () => `failed + ${Math.floor(change.addFailed ?? 0)}`;
  if (change.cursor) { set.cursorAt = change.cursor.receivedAt; set.cursorId = change.cursor.id; }
  if (change.lastError !== undefined) set.lastError = change.lastError === null ? null : JSON.stringify(change.lastError);
  if (change.owner !== undefined) set.owner = change.owner;
  if (change.leaseUntil !== undefined) set.leaseUntil = change.leaseUntil;
  if (change.finishedAt) set.finishedAt = change.finishedAt;
  const update = manager.createQueryBuilder().update(entities.replayJob).set(set).where('id = :id', { id }).updateEntity(false);
  if (from) {
    if (from.length === 0) return 'skipped';
    update.andWhere('status IN (:...from)', { from: [...from] });
  }
  const affected = (await update.execute()).affected ?? 0;
  if (affected === 0) return (await loadReplayJob(manager, entities, id)) ? 'skipped' : 'missing';
  if (audit) await insertAudit(manager, entities, { ...audit, jobId: id }, now);
  return 'applied';
}

/** Leases a running job whose lease expired (or that `owner` holds) to `owner`. */
export async function leaseReplayJob(manager: EntityManager, entities: StoreEntities, owner: string, leaseUntil: Date, now: Date): Promise<ReplayJob | undefined> {
  const free = '(owner IS NULL OR lease_until IS NULL OR lease_until < :now OR owner = :owner)';
  const candidate = await manager.createQueryBuilder(entities.replayJob, 'j').select('j.id', 'id')
    .where("j.status = 'running'")
    .andWhere('(j.owner IS NULL OR j.leaseUntil IS NULL OR j.leaseUntil < :now OR j.owner = :owner)', { now, owner })
    .orderBy('j.createdAt', 'ASC').limit(1).getRawOne<{ id: string }>();
  if (!candidate) return undefined;
  const affected = (await manager.createQueryBuilder().update(entities.replayJob).set({ owner, leaseUntil, updatedAt: now })
    .where("id = :id AND status = 'running'", { id: candidate.id }).andWhere(free, { now, owner })
    .updateEntity(false).execute()).affected ?? 0;
  return affected === 1 ? loadReplayJob(manager, entities, candidate.id) : undefined;
}

/** One purge batch (see TransactionLog.purge): deletes the messages first (row locks by primary key), then their stages. */
export async function purgeBatch(manager: EntityManager, { message, stage }: StoreEntities, request: PurgeRequest): Promise<number> {
  const limit = Math.max(1, Math.floor(request.limit));
  const delivered = await manager.createQueryBuilder(message, 'm').select('m.id', 'id')
    .where("m.status = 'DELIVERED' AND m.receivedAt < :before", { before: request.deliveredBefore })
    .orderBy('m.receivedAt', 'ASC').limit(limit).getRawMany<{ id: string }>();
  const resolved = delivered.length >= limit ? [] : await manager.createQueryBuilder(message, 'm').select('m.id', 'id')
    .where("m.status = 'FAILED' AND m.resolution IS NOT NULL AND m.receivedAt < :before", { before: request.resolvedBefore })
    .orderBy('m.receivedAt', 'ASC').limit(limit - delivered.length).getRawMany<{ id: string }>();
  const ids = [...delivered, ...resolved].map((r) => r.id);
  if (ids.length === 0) return 0;
  // Checked again in the DELETE: a message replayed (forced) or changed since the SELECT is judged as it is now.
  await manager.createQueryBuilder().delete().from(message).where('id IN (:...ids)', { ids })
    .andWhere("((status = 'DELIVERED' AND received_at < :d) OR (status = 'FAILED' AND resolution IS NOT NULL AND received_at < :r))",
      { d: request.deliveredBefore, r: request.resolvedBefore })
    .execute();
  const kept = new Set((await manager.createQueryBuilder(message, 'm').select('m.id', 'id').where('m.id IN (:...ids)', { ids })
    .getRawMany<{ id: string }>()).map((r) => r.id));
  const gone = ids.filter((id) => !kept.has(id));
  if (gone.length > 0) await manager.createQueryBuilder().delete().from(stage).where('message_id IN (:...gone)', { gone }).execute();
  return gone.length;
}

/** Status names a purge never touches, for the docs and tests: anything not settled. */
export const NEVER_PURGED: readonly MessageStatus[] = ['RECEIVED', 'QUEUED', 'PROCESSING', 'RETRYING', 'HELD'];
