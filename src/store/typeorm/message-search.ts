import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { endpointOfStage, errorGroupKey, normaliseErrorMessage } from '../../core/error-fingerprint';
import type { FailureGroup, FailureGroupQuery, MessageFilter, MessageSearch } from '../../core/operator-records';
import type { MessagePage, StageEvent } from '../../core/transaction-log';
import type { MessageRow, StoreEntities } from './entities';
import { toSummary } from './row-mapping';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

/** The columns `search()` reads: a summary, never payloads or headers (same as `find`). */
const SEARCH_COLUMNS = [
  'id', 'correlationId', 'routeId', 'source', 'pattern', 'businessKey', 'replayOf', 'status', 'attempts', 'lastError',
  'receivedAt', 'updatedAt', 'errorEndpoint', 'errorGroup', 'resolution', 'resolvedAt', 'replayedBy',
] as const satisfies readonly (keyof MessageRow)[];

/** Page size: default 50, clamped to 1..1000. */
export function pageLimit(limit: number | undefined, max = MAX_LIMIT): number {
  if (limit === undefined || !Number.isFinite(limit)) return Math.min(DEFAULT_LIMIT, max);
  return Math.min(max, Math.max(1, Math.floor(limit)));
}

/** The message columns a failed stage sets besides the error: its endpoint and its cause's key. */
export function errorColumns(event: StageEvent): Pick<MessageRow, 'errorEndpoint' | 'errorGroup'> {
  if (!event.error) return { errorEndpoint: null, errorGroup: null };
  const endpoint = event.endpoint ?? endpointOfStage(event.stage);
  return { errorEndpoint: endpoint ?? null, errorGroup: errorGroupKey(endpoint, event.error.code, event.error.message) };
}

/** Adds the filter's conditions to a query on the message table aliased `m`. */
export function applyFilter<T extends object>(select: SelectQueryBuilder<T>, filter: MessageFilter): SelectQueryBuilder<T> {
  if (filter.unresolved) select.andWhere("m.status = 'FAILED' AND m.resolution IS NULL");
  const statuses = filter.statuses ?? [];
  if (statuses.length === 1) select.andWhere('m.status = :status', { status: statuses[0] });
  else if (statuses.length > 1) select.andWhere('m.status IN (:...statuses)', { statuses: [...statuses] });
  const equal: [keyof MessageFilter, string][] = [
    ['routeId', 'routeId'], ['endpoint', 'errorEndpoint'], ['errorCode', 'lastErrorCode'], ['errorGroup', 'errorGroup'],
    ['correlationId', 'correlationId'], ['businessKey', 'businessKey'], ['replayOf', 'replayOf'],
  ];
  for (const [key, column] of equal) {
    const value = filter[key];
    if (typeof value === 'string') select.andWhere(`m.${column} = :${key}`, { [key]: value });
  }
  if (filter.receivedFrom) select.andWhere('m.receivedAt >= :receivedFrom', { receivedFrom: filter.receivedFrom });
  if (filter.receivedTo) select.andWhere('m.receivedAt < :receivedTo', { receivedTo: filter.receivedTo });
  return select;
}

/**
 * The keyset query behind `search()`: filters, then "after the cursor" written so the index's range
 * scan can use it (`received_at <= t AND (received_at < t OR id < i)`), ordered by (received_at, id)
 * — the order of every (column, received_at) index, whose InnoDB entries end with the primary key —
 * and one row more than the page, to know whether another page follows. Exported for the EXPLAIN test.
 */
export function searchQuery(manager: EntityManager, { message }: StoreEntities, search: MessageSearch): SelectQueryBuilder<MessageRow> {
  const select = applyFilter(manager.createQueryBuilder(message, 'm').select(SEARCH_COLUMNS.map((c) => `m.${c}`)), search);
  const newest = search.order !== 'oldest';
  if (search.after) {
    const [cmp, eq] = newest ? ['<', '<='] : ['>', '>='];
    select.andWhere(`m.receivedAt ${eq} :afterAt AND (m.receivedAt ${cmp} :afterAt OR m.id ${cmp} :afterId)`,
      { afterAt: search.after.receivedAt, afterId: search.after.id });
  }
  const direction = newest ? 'DESC' : 'ASC';
  return select.orderBy('m.receivedAt', direction).addOrderBy('m.id', direction).limit(pageLimit(search.limit) + 1);
}

/** One page of a search. */
export async function searchMessages(manager: EntityManager, entities: StoreEntities, search: MessageSearch): Promise<MessagePage> {
  const limit = pageLimit(search.limit);
  const rows = await searchQuery(manager, entities, search).getMany();
  const items = rows.slice(0, limit).map(toSummary);
  const last = items[items.length - 1];
  return rows.length > limit && last ? { items, next: { receivedAt: last.receivedAt, id: last.id } } : { items };
}

/** How many messages match. */
export async function countMessages(manager: EntityManager, { message }: StoreEntities, filter: MessageFilter): Promise<number> {
  return applyFilter(manager.createQueryBuilder(message, 'm'), filter).getCount();
}

/** A date as the driver returns it from an aggregate: a Date (mysql2) or `YYYY-MM-DD HH:MM:SS.mmm` UTC text (SQLite). */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  const text = String(value);
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
}

/** Unresolved FAILED messages grouped by (route, cause), largest first; each with a sample's error to name the cause. */
export async function failureGroups(manager: EntityManager, entities: StoreEntities, query: FailureGroupQuery): Promise<FailureGroup[]> {
  const select = applyFilter(manager.createQueryBuilder(entities.message, 'm'), {
    unresolved: true, ...(query.routeId ? { routeId: query.routeId } : {}),
    ...(query.receivedFrom ? { receivedFrom: query.receivedFrom } : {}), ...(query.receivedTo ? { receivedTo: query.receivedTo } : {}),
  }).andWhere('m.errorGroup IS NOT NULL')
    .select('m.routeId', 'routeId').addSelect('m.errorGroup', 'errorGroup').addSelect('COUNT(*)', 'count')
    .addSelect('MIN(m.receivedAt)', 'firstAt').addSelect('MAX(m.receivedAt)', 'lastAt').addSelect('MAX(m.id)', 'sampleId')
    .groupBy('m.routeId').addGroupBy('m.errorGroup')
    .orderBy('count', 'DESC').addOrderBy('lastAt', 'DESC')
    .limit(pageLimit(query.limit ?? 100));
  const raw = await select.getRawMany<{ routeId: string; errorGroup: string; count: unknown; firstAt: unknown; lastAt: unknown; sampleId: string }>();
  if (raw.length === 0) return [];
  const samples = await manager.createQueryBuilder(entities.message, 'm').select(SEARCH_COLUMNS.map((c) => `m.${c}`))
    .where('m.id IN (:...ids)', { ids: raw.map((r) => r.sampleId) }).getMany();
  const byId = new Map(samples.map((row) => [row.id, toSummary(row)]));
  return raw.map((r) => {
    const sample = byId.get(r.sampleId);
    const error = sample?.lastError;
    return {
      routeId: r.routeId,
      errorGroup: r.errorGroup,
      ...(sample?.errorEndpoint !== undefined ? { endpoint: sample.errorEndpoint } : {}),
      errorCode: error?.code ?? 'JCT_INTERNAL',
      message: normaliseErrorMessage(error?.message ?? ''),
      count: Number(r.count),
      firstReceivedAt: toDate(r.firstAt),
      lastReceivedAt: toDate(r.lastAt),
      sampleId: r.sampleId,
    };
  });
}
